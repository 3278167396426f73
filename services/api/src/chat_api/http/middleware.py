"""Per-request context: the request id, a body-size limit (larger for the routes that take files), and one JSON
log line when the request ends."""

import logging
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chat_api.http.errors import error_response
from chat_api.telemetry.traces import current_trace_id

logger = logging.getLogger("chat_api.access")

_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


@dataclass
class RequestRecord:
    """What the log line says about one request. A streaming response fills in the stream's part."""

    request_id: str
    method: str
    route: str
    status: int | None = None
    duration_ms: float | None = None
    ttft_ms: float | None = None
    chunks: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None
    error_code: str | None = None
    client_disconnected: bool = False
    upstream_attempts: int | None = None
    message_chars: int | None = None
    message_text: str | None = None
    limit_refused: str | None = None  # which per-user limit refused the request
    started: float = field(default_factory=time.perf_counter, repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # added to the response's own

    def first_token(self) -> None:
        if self.ttft_ms is None:
            self.ttft_ms = round((time.perf_counter() - self.started) * 1000, 2)

    def as_log(self) -> dict[str, Any]:
        data = asdict(self)
        del data["started"], data["headers"]
        return {key: value for key, value in data.items() if value is not None}


def record_of(request: Request) -> RequestRecord:
    record: RequestRecord = request.scope["state"]["record"]
    return record


class RequestContextMiddleware:
    """Assigns the request id (a client's own `X-Request-ID` when it is sane), echoes it, limits the body,
    and logs one JSON line per request once its response has ended (streams included)."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        trace_ids: bool = False,
        larger_bodies: Sequence[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.larger_bodies = larger_bodies  # (path, its own limit): routes that take files
        self.trace_ids = trace_ids  # telemetry on: each response names its trace (X-Trace-Id)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), "")
        request_id = given if _VALID_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        record = RequestRecord(request_id=request_id, method=scope["method"], route=scope["path"])
        scope.setdefault("state", {})["record"] = record

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
                headers = MutableHeaders(scope=message)
                headers.append("X-Request-ID", request_id)
                if self.trace_ids and (trace_id := current_trace_id()):
                    headers.append("X-Trace-Id", trace_id)
                for name, value in record.headers.items():
                    headers.append(name, value)
            await send(message)

        limit = next((most for path, most in self.larger_bodies if path.match(scope["path"])), self.max_body_bytes)
        try:
            if self._declared_too_large(scope, limit):
                response = error_response(413, "payload_too_large", f"The body is larger than {limit} bytes.")
                await response(scope, receive, send_with_id)
            else:
                await self.app(scope, self._limited(receive, limit), send_with_id)
        except Exception:
            record.status = record.status or 500  # answered by the outermost error middleware, after us
            raise
        finally:
            record.duration_ms = round((time.perf_counter() - record.started) * 1000, 2)
            logger.info("request", extra={"fields": record.as_log()})

    @staticmethod
    def _declared_too_large(scope: Scope, limit: int) -> bool:
        length = next((v for k, v in scope["headers"] if k == b"content-length"), b"")
        return length.isdigit() and int(length) > limit

    @staticmethod
    def _limited(receive: Receive, limit: int) -> Receive:
        """A body without Content-Length (chunked) is counted as it arrives, and cut off at the limit."""
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        return limited_receive


class BodyTooLarge(HTTPException):
    """Raised while the body is read; FastAPI passes an HTTPException through, so it becomes our 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The body is larger than {limit} bytes.")
