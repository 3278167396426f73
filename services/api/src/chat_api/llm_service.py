"""The streaming core: one chat completion from Semantic Kernel, as a stream of events the routes relay.

Each completion is read by a task of its own. Closing Semantic Kernel's generator (`aclose`) would leave the
upstream HTTP response open until garbage collection; so `ChatStream.aclose` cancels the reading task and then
closes, itself, every response that task opened (see `upstream_responses`).
"""

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Final

from semantic_kernel.contents import StreamingChatMessageContent

from chat_api import upstream_responses
from chat_api.errors import ApiError, is_retryable, retry_after_seconds, upstream_error
from chat_api.kernel import Upstream, build_history, execution_settings
from chat_api.schemas import ChatRequest, FinishReason
from chat_api.settings import Settings

logger = logging.getLogger("chat_api.llm")

QUEUE_SIZE: Final = 256  # events buffered between upstream and client; a slow reader slows the upstream read
# Events ready together go out in one write (each write costs a system call here and work in every hop after):
# after the first token, which is handed over at once, the reader lets up to this many pile up while it parses
# what has already arrived (about 0.2 ms each). Measured under load (bench/): 4 relays 40% more tokens per
# second than 1; 8 and 16 add little more, and make new streams wait longer for their first token.
COALESCE_MAX: Final = 4


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class TokenUsage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


@dataclass(frozen=True, slots=True)
class Finished:
    reason: FinishReason


@dataclass(frozen=True, slots=True)
class Failed:
    """The upstream failed after the first token: the stream can only say so and end."""

    error: ApiError


class Heartbeat:
    """The upstream has been silent for a while (SSE sends a comment so proxies keep the connection)."""


HEARTBEAT: Final = Heartbeat()
UpstreamEvent = TextDelta | TokenUsage | Finished | Heartbeat
StreamEvent = UpstreamEvent | Failed

ChatSource = AsyncIterator[list[StreamingChatMessageContent]]

_FINISH_REASONS: Final[dict[str, FinishReason]] = {
    "stop": "stop",
    "length": "length",
    "content_filter": "content_filter",
}


class ChatStream:
    """One upstream completion, read into a bounded queue by a task; `aclose()` stops it and its response."""

    def __init__(self, source: ChatSource, heartbeat_s: float | None) -> None:
        self._queue: asyncio.Queue[UpstreamEvent | BaseException] = asyncio.Queue(QUEUE_SIZE)
        self._failure: BaseException | None = None  # met by `ready()`, raised by the next `next()`
        self._first = True
        self._responses: upstream_responses.Opened = []  # filled by the reading task as it starts
        self._tasks = [asyncio.create_task(self._pump(source), name="upstream-reader")]
        if heartbeat_s:
            self._tasks.append(asyncio.create_task(self._beat(heartbeat_s), name="heartbeat"))
        self._last_event = asyncio.get_running_loop().time()

    async def next(self) -> UpstreamEvent:
        """The next event; an upstream exception is raised here, for `ChatService.open` to map or retry."""
        item = self._failure or await self._queue.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def ready(self) -> list[UpstreamEvent]:
        """The events already waiting, without waiting for more (an upstream exception among them is kept
        for the next `next()`)."""
        events: list[UpstreamEvent] = []
        while self._failure is None and not self._queue.empty():
            item = self._queue.get_nowait()
            if isinstance(item, BaseException):
                self._failure = item
            else:
                events.append(item)
        return events

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await upstream_responses.close(self._responses)

    async def _put(self, event: UpstreamEvent | BaseException) -> None:
        await self._queue.put(event)
        self._last_event = asyncio.get_running_loop().time()
        if self._first or self._queue.qsize() >= COALESCE_MAX:
            # Let the relay run now. Otherwise it runs when the reader next waits for the network: the reader
            # first parses the rest of what has arrived, and the relay then sends all of it in one write.
            self._first = False
            await asyncio.sleep(0)

    async def _pump(self, source: ChatSource) -> None:
        self._responses = upstream_responses.track()
        reason: FinishReason = "stop"
        try:
            async for batch in source:
                for message in batch:
                    if message.content:
                        await self._put(TextDelta(message.content))
                    if message.finish_reason is not None:
                        reason = _FINISH_REASONS.get(str(message.finish_reason.value), "stop")
                    usage = message.metadata.get("usage")
                    if usage is not None:
                        prompt, completion = usage.prompt_tokens or 0, usage.completion_tokens or 0
                        await self._put(TokenUsage(prompt, completion, prompt + completion))
            await self._put(Finished(reason))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every upstream failure reaches the reader, who decides what it means
            await self._put(exc)

    async def _beat(self, interval: float) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(max(0.0, self._last_event + interval - loop.time()))
            if loop.time() - self._last_event >= interval and not self._queue.full():
                self._queue.put_nowait(HEARTBEAT)
                self._last_event = loop.time()


@dataclass(frozen=True)
class OpenedStream:
    stream: ChatStream
    head: list[UpstreamEvent]  # what arrived up to and including the first token (or the end)
    attempts: int


class ChatService:
    def __init__(self, upstream: Upstream, settings: Settings) -> None:
        self.upstream = upstream
        self.settings = settings

    @property
    def model(self) -> str:
        return self.upstream.deployment

    async def open(self, request: ChatRequest, heartbeats: bool) -> OpenedStream:
        """Start the completion and wait for its first token. Failures before it raise `ApiError` (a real
        HTTP status can still be sent), after bounded retries of 429/5xx that honour Retry-After."""
        history = build_history(request, self.settings.SYSTEM_PROMPT)
        options = execution_settings(request, self.settings)
        heartbeat_s = self.settings.HEARTBEAT_S if heartbeats else None
        for attempt in range(1, self.settings.UPSTREAM_MAX_RETRIES + 2):
            source = self.upstream.chat.get_streaming_chat_message_contents(history, options)
            stream = ChatStream(source, heartbeat_s)
            try:
                head = [await stream.next()]
                while not isinstance(head[-1], TextDelta | Finished):
                    head.append(await stream.next())
                return OpenedStream(stream, [e for e in head if not isinstance(e, Heartbeat)], attempt)
            except asyncio.CancelledError:
                await stream.aclose()
                raise
            except Exception as exc:
                await stream.aclose()
                wait = self._retry_wait(exc, attempt)
                if wait is None:
                    raise exc if isinstance(exc, ApiError) else upstream_error(exc) from exc
                logger.info("upstream failed before the first token; retry %d in %.2fs", attempt, wait)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable: the last attempt raises or returns")  # pragma: no cover

    def _retry_wait(self, exc: BaseException, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when this failure must go to the client now."""
        if attempt > self.settings.UPSTREAM_MAX_RETRIES or not is_retryable(exc):
            return None
        limit = self.settings.UPSTREAM_RETRY_MAX_WAIT_S
        retry_after = retry_after_seconds(exc)
        if retry_after is not None:
            return retry_after if retry_after <= limit else None
        backoff: float = min(limit, 0.25 * 2 ** (attempt - 1))
        return backoff * random.uniform(0.75, 1.0)  # noqa: S311 - jitter, not security


async def relay_batches(opened: OpenedStream) -> AsyncIterator[list[StreamEvent]]:
    """Every event of an opened stream, its head included, ending with `Finished` or `Failed`; in batches of
    the events that are ready together, so that each batch can go out in one write."""
    batch: list[StreamEvent] = [*opened.head, *opened.stream.ready()]
    while True:
        for position, event in enumerate(batch):
            if isinstance(event, Finished):
                yield batch[: position + 1]
                return
        yield batch
        try:
            batch = [await opened.stream.next(), *opened.stream.ready()]
        except Exception as exc:
            yield [Failed(upstream_error(exc))]
            return
