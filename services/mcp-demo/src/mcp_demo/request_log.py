"""One JSON line per HTTP request: the JSON-RPC method, the tool, the status and the duration, never arguments.

It peeks at each MCP request body as the SDK reads it (without buffering or changing it), so it also sees a
``notifications/cancelled`` before the SDK acts on it, and tells the cancellation log.
"""

import json
import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

import anyio
from mcp.server.streamable_http import MCP_SESSION_ID_HEADER
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mcp_demo.cancellations import CancellationLog

logger = logging.getLogger("mcp_demo.requests")
PEEK_LIMIT = 64 * 1024  # a call's body beyond this is not parsed for the log (the SDK still reads it all)
UNLOGGED_PATHS = frozenset({"/healthz"})  # probes every few seconds would drown the log


@dataclass
class _Line:
    http: str
    path: str
    session: str | None
    rpc: str | None = None
    rpc_id: str | int | None = None
    tool: str | None = None
    status: int | None = None
    duration_ms: float | None = None


class RequestLog:
    def __init__(self, app: ASGIApp, cancellations: CancellationLog) -> None:
        self._app = app
        self._cancellations = cancellations

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLOGGED_PATHS:
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        line = _Line(http=scope["method"], path=scope["path"], session=Headers(scope=scope).get(MCP_SESSION_ID_HEADER))
        body = bytearray()

        async def peeking_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) < PEEK_LIMIT:
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    self._read_rpc(bytes(body), line)
            return message

        async def status_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                line.status = message["status"]
                line.session = line.session or Headers(raw=message.get("headers", [])).get(MCP_SESSION_ID_HEADER)
            await send(message)

        try:
            await self._app(scope, peeking_receive, status_send)
        finally:
            line.duration_ms = round((time.perf_counter() - started) * 1000, 2)
            logger.info(json.dumps({key: value for key, value in asdict(line).items() if value is not None}))

    def _read_rpc(self, body: bytes, line: _Line) -> None:
        try:
            message: Any = json.loads(body)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        line.rpc = _str(message.get("method"))
        rpc_id = message.get("id")
        line.rpc_id = rpc_id if isinstance(rpc_id, str | int) else None
        params = message.get("params")
        if not isinstance(params, dict):
            return
        if line.rpc == "tools/call":
            line.tool = _str(params.get("name"))
        elif line.rpc == "notifications/cancelled" and isinstance(params.get("requestId"), str | int):
            self._cancellations.notice(line.session, params["requestId"], _str(params.get("reason")))


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


class _HideClosedGetStreams(logging.Filter):
    """The SDK logs a traceback whenever a session ends (DELETE, idle) while its GET stream is open: the stream's
    writer finds its source closed. That is how a session ends, not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        closed = record.exc_info is not None and isinstance(record.exc_info[1], anyio.ClosedResourceError)
        return not (closed and record.getMessage() == "Error in standalone SSE writer")


def configure_logging(level: str) -> None:
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(level.upper())
    transport_logger = logging.getLogger("mcp.server.streamable_http")
    if not any(isinstance(f, _HideClosedGetStreams) for f in transport_logger.filters):
        transport_logger.addFilter(_HideClosedGetStreams())
