"""The one streaming response, for every route that streams an answer (stateless or in a conversation).

It opens its source before it sends its head, so a failure before the first token still gets a real HTTP
status and the JSON envelope; then it writes each batch of events in one write (each write costs a system
call here and work in every hop after), a heartbeat when nothing has been written for a while, and watches,
beside the stream, for the client leaving and for this server shutting down. What each of those means is
the source's: a stateless answer stops when its client leaves, a conversation's answer goes on (its reader
follows it again from its last id, here or on another replica).

The shape is sse-starlette's: the stream, the heartbeat, the shutdown signal and the disconnect watch run as
tasks of one response, with one lock around `send`.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from chat_api.chat.events import AnswerEvent, Failed, Finished, TextDelta, TokenUsage
from chat_api.chat.wire import EncodedEvent, Encoder
from chat_api.http.errors import ApiError
from chat_api.http.middleware import RequestRecord
from chat_api.server import shutdown

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
RESTARTING = ApiError(503, "upstream_unavailable", "The chat service is restarting. Please retry.")
_ENDINGS: set[asyncio.Task[None]] = set()  # `on_end`s running after their response (kept from the collector)

Batches = AsyncIterator[list[EncodedEvent]]


def observe(record: RequestRecord, event: AnswerEvent) -> None:
    """What the request's log line says about the stream."""
    match event:
        case TextDelta():
            record.first_token()
            record.chunks += 1
        case TokenUsage(prompt, completion):
            record.prompt_tokens, record.completion_tokens = prompt, completion
        case Finished(reason):
            record.finish_reason = reason
        case Failed(code):
            record.error_code = code


class EventSource(Protocol):
    async def open(self) -> Batches:
        """The events, in batches of those ready together. Runs before the response's head is sent: an
        `ApiError` raised here is the response (its status and the JSON envelope)."""
        ...

    def client_left(self) -> None:
        """The client has gone: called at once, before the stream's cancellation unwinds."""
        ...

    async def aclose(self) -> None: ...


class Opened:
    """A source whose batches are already there (an answer's event log, read from some id): the client
    leaving ends only its own response."""

    def __init__(self, batches: Batches, on_close: Callable[[], None] | None = None) -> None:
        self.batches = batches
        self.on_close = on_close

    async def open(self) -> Batches:
        return self.batches

    def client_left(self) -> None:
        pass

    async def aclose(self) -> None:
        closing = getattr(self.batches, "aclose", None)
        if closing is not None:
            await closing()
        if self.on_close is not None:
            self.on_close()


class EventStreamResponse(Response):
    """Streams `source` with `encoder`. (No class-level media type: FastAPI would document every error of the
    route as a stream.)"""

    def __init__(
        self,
        source: EventSource,
        encoder: Encoder,
        record: RequestRecord,
        *,
        heartbeat_s: float | None = None,
        let_go_on_shutdown: bool = False,
        on_end: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.source = source
        self.encoder = encoder
        self.record = record
        self.heartbeat_s = heartbeat_s if encoder.heartbeat else None
        # This server shutting down ends the response without a terminal event (once the reader has had one
        # event, so it knows what to follow): for a reader another process can serve, the answer going on.
        self.let_go_on_shutdown = let_go_on_shutdown
        self.on_end = on_end  # once the stream has ended, however (the limits settle what it used)
        self.ended = False
        self.headers_sent = False
        self.status_code = 200
        self.background = None
        self._writing = asyncio.Lock()
        self._completed = False  # the body's last message is sent: nothing may follow it
        self._last_write = 0.0
        self._written = asyncio.Event()  # the first batch is out

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
        stream = asyncio.create_task(self._stream(scope, receive, send))
        client_left = asyncio.create_task(self._client_leaves(receive))
        watchers = [client_left]
        if self.let_go_on_shutdown:
            watchers.append(asyncio.create_task(self._shutdown_begins()))
        try:
            done, _ = await asyncio.wait({stream, *watchers}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            await _cancelled(stream, *watchers)
            if not shutdown.in_progress():
                raise  # cancelled by whoever awaits us (a timeout, a task group): theirs to handle
            # The server is shutting down and its grace period is over (see chat_api.server.worker): tell the
            # client why its answer ends here. Not re-raised: Uvicorn would log a crash, with a traceback.
            await self._say_restarting(scope, receive, send)
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
            return
        await _cancelled(*(watcher for watcher in watchers if watcher not in done))
        if stream in done or (stream.done() and not stream.cancelled()):  # (it may end while the others stop)
            stream.result()
            return
        await _cancelled(stream)
        if client_left in done:
            self.record.client_disconnected = True
            return
        self.record.error_code = RESTARTING.code  # let go: the reader follows the answer again elsewhere
        await self._complete(send)

    async def _client_leaves(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        self.source.client_left()

    async def _shutdown_begins(self) -> None:
        await shutdown.begun()
        await self._written.wait()

    async def _say_restarting(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.record.error_code = RESTARTING.code
        if not self.headers_sent:
            await RESTARTING.response()(scope, receive, send)
            return
        body, cut_short = self.encoder.encode([EncodedEvent.of(Failed.of(RESTARTING))])
        if body and not self._completed:  # SSE says so in an `error` event; a text body is cut short
            await send({"type": "http.response.body", "body": body, "more_body": True})
        if not cut_short:
            await self._complete(send)

    async def _complete(self, send: Send) -> None:
        """The body's last message, once, whoever ends the response (the stream, or a shutdown letting go)."""
        async with self._writing:
            if not self._completed:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                self._completed = True

    async def _write(self, send: Send, body: bytes) -> None:
        async with self._writing:
            await send({"type": "http.response.body", "body": body, "more_body": True})
        self._last_write = asyncio.get_running_loop().time()

    async def _beat(self, send: Send, interval: float) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(max(0.0, self._last_write + interval - loop.time()))
            if loop.time() - self._last_write >= interval:
                await self._write(send, self.encoder.heartbeat or b"")

    async def _stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        record = self.record
        try:
            batches = await self.source.open()
        except ApiError as error:
            record.error_code = error.code
            await self.source.aclose()
            await asyncio.shield(self._end())
            await error.response()(scope, receive, send)
            return
        beat: asyncio.Task[None] | None = None
        try:
            headers = {**STREAM_HEADERS, "Content-Type": self.encoder.media_type}
            raw_headers = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
            await send({"type": "http.response.start", "status": 200, "headers": raw_headers})
            self.headers_sent = True
            self._last_write = asyncio.get_running_loop().time()
            if self.heartbeat_s:
                beat = asyncio.create_task(self._beat(send, self.heartbeat_s))
            async for batch in batches:
                for encoded in batch:
                    observe(record, encoded.event)
                body, cut_short = self.encoder.encode(batch)
                if body:
                    await self._write(send, body)
                self._written.set()
                if cut_short:
                    # Returning without a final body message makes the server close the connection with no
                    # terminating chunk: every HTTP client then sees a failed, not a finished, stream.
                    return
            if beat is not None:
                await _cancelled(beat)
            await asyncio.shield(self._end())
            await self._complete(send)
        finally:
            if beat is not None:
                await _cancelled(beat)
            await self.source.aclose()


async def _cancelled(*tasks: asyncio.Task[None]) -> None:
    """Cancels the tasks and waits for them to end."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
