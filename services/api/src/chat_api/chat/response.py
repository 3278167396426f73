"""The ASGI response that relays a chat stream: it opens the upstream, watches the client, and writes batches.

The response opens the upstream itself, so a client that leaves while the model is still thinking cancels the
upstream too, and a failure before the first token still gets a real HTTP status and the JSON envelope.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from chat_api.chat.encoders import Encoder
from chat_api.chat.events import Failed, Finished, StreamEvent, TextDelta, TokenUsage
from chat_api.chat.service import OpenedStream, relay_batches
from chat_api.http.errors import ApiError
from chat_api.http.middleware import RequestRecord
from chat_api.server import shutdown

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
_ENDINGS: set[asyncio.Task[None]] = set()  # `on_end`s running after their response (kept from the collector)
RESTARTING = ApiError(503, "upstream_unavailable", "The chat service is restarting. Please retry.")


def observe(record: RequestRecord, event: StreamEvent) -> None:
    """What the request's log line says about the stream."""
    match event:
        case TextDelta():
            record.first_token()
            record.chunks += 1
        case TokenUsage(prompt, completion, _):
            record.prompt_tokens, record.completion_tokens = prompt, completion
        case Finished(reason):
            record.finish_reason = reason
        case Failed(error):
            record.error_code = error.code


async def _wait_for_disconnect(receive: Receive, on_disconnect: Callable[[], None]) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    on_disconnect()


class ChatStreamResponse(Response):
    """Opens the upstream, then streams its events with `encoder`; the client leaving cancels everything."""

    def __init__(
        self,
        open_stream: Callable[[], Awaitable[OpenedStream]],
        encoder: Encoder,
        record: RequestRecord,
        model: str,
        on_end: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.open_stream = open_stream
        self.encoder = encoder
        self.record = record
        self.model = model
        self.on_end = on_end  # once the stream has ended, however (the limits settle what it used)
        self.ended = False
        self.opened: OpenedStream | None = None
        self.status_code = 200
        self.background = None
        self.headers_sent = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._serve(scope, receive, send)
        finally:
            if not self.ended:
                # Ended otherwise (the client left, a cancellation, a failure mid-stream): `on_end` runs on its
                # own, so that no await here gives a cancellation that was already dealt with a second chance.
                task = asyncio.get_running_loop().create_task(self._end())
                _ENDINGS.add(task)
                task.add_done_callback(_ENDINGS.discard)

    async def _end(self) -> None:
        """Runs `on_end` once: before the body's last message when the stream ends normally (so a client that
        has seen the end finds its limits already settled), else just after the response."""
        if not self.ended:
            self.ended = True
            if self.on_end is not None:
                await self.on_end()

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        relay = asyncio.create_task(self._relay(scope, receive, send))
        watcher = asyncio.create_task(_wait_for_disconnect(receive, self._stop_upstream))
        try:
            done, _ = await asyncio.wait({relay, watcher}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            watcher.cancel()
            relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay
            if not shutdown.in_progress():
                raise  # cancelled by whoever awaits us (a timeout, a task group): theirs to handle
            # The server is shutting down and its grace period is over (see chat_api.server.worker): tell the
            # client why its answer ends here. Not re-raised: Uvicorn would log a crash, with a traceback.
            await self._say_restarting(scope, receive, send)
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

    def _stop_upstream(self) -> None:
        """The client has left: the upstream stops in this turn of the event loop, not after the relay's
        cancellation has unwound (a stream still opening is cancelled with the relay)."""
        if self.opened is not None:
            self.opened.stream.abort()

    async def _say_restarting(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.record.error_code = RESTARTING.code
        if not self.headers_sent:
            await RESTARTING.response()(scope, receive, send)
            return
        data = self.encoder.encode(Failed(RESTARTING))
        if data:  # SSE says so in an `error` event; a text body is cut short (no terminating chunk)
            await send({"type": "http.response.body", "body": data, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _encode(self, batch: list[StreamEvent]) -> tuple[list[bytes], bool]:
        """The bytes for a batch of events, and whether the stream must end abnormally after them."""
        parts: list[bytes] = []
        for event in batch:
            observe(self.record, event)
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
            await asyncio.shield(self._end())
            await error.response()(scope, receive, send)
            return
        record.upstream_attempts = opened.attempts
        self.opened = opened
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
            await asyncio.shield(self._end())
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await opened.stream.aclose()
