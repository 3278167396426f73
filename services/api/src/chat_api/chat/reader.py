"""Reading one upstream completion: Semantic Kernel's stream, read by a task of its own into a bounded queue.

Closing Semantic Kernel's generator (`aclose`) would leave the upstream HTTP response open until garbage
collection; so `ChatStream.aclose` cancels the reading task and then closes, itself, every response that task
opened (see `response_tracking`).
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Final

from semantic_kernel.contents import FunctionCallContent, StreamingChatMessageContent

from chat_api.chat import response_tracking
from chat_api.chat.events import Finished, TextDelta, TokenUsage, ToolCall
from chat_api.chat.schemas import FinishReason
from chat_api.chat.upstream_errors import UpstreamIncomplete

QUEUE_SIZE: Final = 256  # events buffered between upstream and client; a slow reader slows the upstream read
# Events ready together go out in one write (each write costs a system call here and work in every hop after):
# after the first token, which is handed over at once, the reader lets up to this many pile up while it parses
# what has already arrived. Measured in bench/: 4 relays 40% more tokens per second than 1; 8 and 16 add little
# more, and make new streams wait longer for their first token.
COALESCE_MAX: Final = 4

ChatSource = AsyncIterator[list[StreamingChatMessageContent]]


class CallsRequested:
    """The round ended with the model asking for the tools it called (`ToolCall` fragments before it): the
    answer goes on once they have run. Never sent to clients."""

    __slots__ = ()


UpstreamEvent = TextDelta | ToolCall | TokenUsage | Finished | CallsRequested
ROUND_ENDS = (Finished, CallsRequested)

_FINISH_REASONS: Final[dict[str, FinishReason]] = {
    "stop": "stop",
    "length": "length",
    "content_filter": "content_filter",
}


class ChatStream:
    """One upstream completion, read into a bounded queue by a task; `aclose()` stops it and its response."""

    def __init__(self, source: ChatSource) -> None:
        # Every field the task reads is set before it starts: a task may run its first step at creation
        # (an eager task factory does).
        self._queue: asyncio.Queue[UpstreamEvent | BaseException] = asyncio.Queue(QUEUE_SIZE)
        self._failure: BaseException | None = None  # met by `ready()`, raised by the next `next()`
        self._first = True
        self._responses: response_tracking.Opened = []  # filled by the reading task as it starts
        self._tasks = [asyncio.create_task(self._pump(source), name="upstream-reader")]

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

    def abort(self) -> None:
        """Stop reading and shut the upstream connection at once, from synchronous code (a client gone, a Stop);
        `aclose` still follows."""
        for task in self._tasks:
            task.cancel()
        response_tracking.shut(self._responses)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await response_tracking.close(self._responses)

    async def _put(self, event: UpstreamEvent | BaseException) -> None:
        await self._queue.put(event)
        if self._first or self._queue.qsize() >= COALESCE_MAX:
            # Let the relay run now. Otherwise it runs when the reader next waits for the network: the reader
            # first parses the rest of what has arrived, and the relay then sends all of it in one write.
            self._first = False
            await asyncio.sleep(0)

    async def _pump(self, source: ChatSource) -> None:
        self._responses = response_tracking.track()
        reason: FinishReason = "stop"
        ended = False  # a stream that never says why it ended has not finished
        calls: dict[int, tuple[str, str]] = {}  # the round's calls by their index: id and name (first fragment)
        try:
            async for batch in source:
                for message in batch:
                    if message.content:
                        await self._put(TextDelta(message.content))
                    for item in message.items:
                        if isinstance(item, FunctionCallContent):
                            await self._put(self._call_fragment(calls, item))
                    if message.finish_reason is not None:
                        ended = True
                        reason = _FINISH_REASONS.get(str(message.finish_reason.value), "stop")
                    usage = message.metadata.get("usage")
                    if usage is not None:
                        prompt, completion = usage.prompt_tokens or 0, usage.completion_tokens or 0
                        details = usage.completion_tokens_details
                        reasoning = (details.reasoning_tokens or 0) if details is not None else 0
                        await self._put(TokenUsage(prompt, completion, prompt + completion, reasoning))
            if not ended:
                raise UpstreamIncomplete
            # Whatever the finish reason says (some servers say `stop`): calls asked for are calls to run.
            await self._put(CallsRequested() if calls else Finished(reason))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every upstream failure reaches the reader, who decides what it means
            await self._put(exc)

    @staticmethod
    def _call_fragment(calls: dict[int, tuple[str, str]], item: FunctionCallContent) -> ToolCall:
        """A fragment of a call as the model streams it: its first carries the call's id and name, the next only
        its index (OpenAI's and Azure's form)."""
        index = item.index or 0
        if index not in calls:
            calls[index] = (item.id or f"call_{index}", item.name or "")
        call_id, name = calls[index]
        arguments = item.arguments if isinstance(item.arguments, str) else ""
        return ToolCall(call_id, name, arguments, complete=False)
