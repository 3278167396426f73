"""Relaying a chat stream to the client: two wire encodings, and the ASGI response that watches the client.

The response opens the upstream itself, so a client that leaves while the model is still thinking cancels the
upstream too, and a failure before the first token still gets a real HTTP status and the JSON envelope.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Protocol

import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from chat_api.errors import ApiError
from chat_api.llm_service import (
    Failed,
    Finished,
    Heartbeat,
    OpenedStream,
    StreamEvent,
    TextDelta,
    TokenUsage,
    relay_batches,
)
from chat_api.request_context import RequestRecord

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class Encoder(Protocol):
    media_type: str

    def start(self, request_id: str, model: str) -> bytes: ...

    def encode(self, event: StreamEvent) -> bytes | None:
        """The bytes for one event; None means the stream must end abnormally now."""
        ...


class PlainText:
    """`text/plain`: only the answer's text. A failure after the first token cuts the body short."""

    media_type = "text/plain; charset=utf-8"

    def start(self, request_id: str, model: str) -> bytes:
        return b""

    def encode(self, event: StreamEvent) -> bytes | None:
        if isinstance(event, TextDelta):
            return event.text.encode()
        return None if isinstance(event, Failed) else b""


def _sse(event: str, data: object) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


class ServerSentEvents:
    """`text/event-stream`: start, delta, usage, done or error, each with a JSON payload."""

    media_type = "text/event-stream; charset=utf-8"

    def start(self, request_id: str, model: str) -> bytes:
        return _sse("start", {"request_id": request_id, "model": model})

    def encode(self, event: StreamEvent) -> bytes | None:
        match event:
            case TextDelta(text):
                return b'event: delta\ndata: {"text":' + orjson.dumps(text) + b"}\n\n"
            case TokenUsage(prompt, completion, total):
                return _sse("usage", {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total})
            case Finished(reason):
                return _sse("done", {"finish_reason": reason})
            case Failed(error):
                return _sse("error", {"code": error.code, "message": error.message})
            case Heartbeat():
                return b": keep-alive\n\n"


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class ChatStreamResponse(Response):
    """Opens the upstream, then streams its events with `encoder`; the client leaving cancels everything."""

    def __init__(
        self,
        open_stream: Callable[[], Awaitable[OpenedStream]],
        encoder: Encoder,
        record: RequestRecord,
        model: str,
    ) -> None:
        self.open_stream = open_stream
        self.encoder = encoder
        self.record = record
        self.model = model
        self.status_code = 200
        self.background = None
        self.headers_sent = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        relay = asyncio.create_task(self._relay(scope, receive, send))
        watcher = asyncio.create_task(_wait_for_disconnect(receive))
        try:
            done, _ = await asyncio.wait({relay, watcher}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            # The server is shutting down and its grace period is over (see chat_api.worker): stop reading
            # the model, and tell the client why its answer ends here.
            watcher.cancel()
            relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay
            await self._say_restarting(scope, receive, send)
            # Ended, as the server asked. Not re-raised: Uvicorn would log it as a crash, with a traceback.
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
            return
        if relay in done:
            watcher.cancel()
            relay.result()
            return
        self.record.client_disconnected = True
        self.record.finish_reason = self.record.finish_reason or "cancelled"
        relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay

    async def _say_restarting(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = ApiError(503, "upstream_unavailable", "The chat service is restarting. Please retry.")
        self.record.error_code = error.code
        if not self.headers_sent:
            await error.response()(scope, receive, send)
            return
        data = self.encoder.encode(Failed(error))
        if data:  # SSE says so in an `error` event; a text body is cut short (no terminating chunk)
            await send({"type": "http.response.body", "body": data, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _encode(self, batch: list[StreamEvent]) -> tuple[list[bytes], bool]:
        """The bytes for a batch of events, and whether the stream must end abnormally after them."""
        parts: list[bytes] = []
        for event in batch:
            self.record.observe(event)
            data = self.encoder.encode(event)
            if data is None:
                return parts, True
            if data:
                parts.append(data)
        return parts, False

    async def _relay(self, scope: Scope, receive: Receive, send: Send) -> None:
        record = self.record
        try:
            opened = await self.open_stream()
        except ApiError as error:
            record.error_code = error.code
            await error.response()(scope, receive, send)
            return
        record.upstream_attempts = opened.attempts
        try:
            headers = {**STREAM_HEADERS, "Content-Type": self.encoder.media_type}
            raw_headers = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
            await send({"type": "http.response.start", "status": 200, "headers": raw_headers})
            self.headers_sent = True
            start = self.encoder.start(record.request_id, self.model)
            if start:
                await send({"type": "http.response.body", "body": start, "more_body": True})
            async for batch in relay_batches(opened):
                parts, cut_short = self._encode(batch)
                if parts:
                    await send({"type": "http.response.body", "body": b"".join(parts), "more_body": True})
                if cut_short:
                    # Returning without a final body message makes the server close the connection with no
                    # terminating chunk: every HTTP client then sees a failed, not a finished, stream.
                    return
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await opened.stream.aclose()
