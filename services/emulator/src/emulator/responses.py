"""ASGI responses that pace a completion, watch for the client leaving, and record both in the request log."""

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from emulator import protocol
from emulator.request_log import RequestLog, RequestRecord

STREAM_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
]


class InjectedDrop(Exception):
    """Raised after the response has started, so the ASGI server cuts the connection mid-body."""


@dataclass(frozen=True)
class Pace:
    ttft_s: float
    token_s: float
    jitter_s: float
    tokens_per_chunk: int

    def gap(self, tokens: int) -> float:
        return self.token_s * tokens + (random.uniform(0, self.jitter_s) if self.jitter_s else 0.0)  # noqa: S311


@dataclass(frozen=True)
class Reply:
    """What to stream: the tokens to send, and how the stream ends after them."""

    tokens: list[str]
    # a finish reason (stop | length | content_filter | tool_calls), or "drop", "sse_error", "empty", "no_finish"
    ending: str
    prompt_tokens: int
    include_usage: bool
    reasoning_tokens: int = 0  # a reasoning deployment's, spent before the answer
    calls: tuple[protocol.ToolCall, ...] = ()  # after the text, each call's argument fragments

    @property
    def pieces(self) -> int:
        """What the client is sent, counted as tokens: the text's, then every argument fragment."""
        return len(self.tokens) + sum(len(call.fragments) for call in self.calls)

    def cut(self, after: int, ending: str) -> "Reply":
        """The reply as far as its first ``after`` pieces, ending as a mid-stream fault does (a call whose
        arguments have not begun is not sent at all)."""
        tokens = self.tokens[:after]
        left = after - len(tokens)
        calls: list[protocol.ToolCall] = []
        for call in self.calls:
            if left <= 0:
                break
            calls.append(replace(call, fragments=call.fragments[:left]))
            left -= len(calls[-1].fragments)
        return replace(self, tokens=tokens, ending=ending, calls=tuple(calls))


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def run_watching_disconnect(receive: Receive, work: Coroutine[Any, Any, None], record: RequestRecord) -> None:
    """Run ``work``; if the client disconnects first, cancel it and note when that happened."""
    work_task = asyncio.ensure_future(work)
    watch_task = asyncio.ensure_future(_wait_for_disconnect(receive))
    done, _ = await asyncio.wait({work_task, watch_task}, return_when=asyncio.FIRST_COMPLETED)
    if watch_task in done and not work_task.done():
        record.disconnected_at = time.time()
        record.disconnected = True
        record.outcome = "disconnected"
        work_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await work_task
        return
    watch_task.cancel()
    work_task.result()  # re-raises InjectedDrop


class LoggedResponse:
    """Wraps any ASGI response: records its status and start, and closes the log record when it ends."""

    def __init__(
        self, inner: Callable[[Scope, Receive, Send], Awaitable[None]], record: RequestRecord, log: RequestLog
    ) -> None:
        self.inner = inner
        self.record = record
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.record.status = message["status"]
                self.record.started_at = time.time()
            await send(message)

        try:
            await self.inner(scope, receive, recording_send)
        except InjectedDrop:
            self.record.outcome = "dropped"
            raise
        finally:
            self.log.close(self.record)


class HangResponse:
    """Answers nothing for ``hang_s`` (a stalled upstream), then a 408 as Azure does."""

    def __init__(self, hang_s: float, record: RequestRecord) -> None:
        self.hang_s = hang_s
        self.record = record

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def hang() -> None:
            await asyncio.sleep(self.hang_s)
            await send(
                {
                    "type": "http.response.start",
                    "status": 408,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": protocol.TIMEOUT})

        await run_watching_disconnect(receive, hang(), self.record)


class CompletionStream:
    """Streams one completion as Azure does: headers at time-to-first-token, then paced content chunks."""

    def __init__(
        self,
        completion: protocol.Completion,
        reply: Reply,
        pace: Pace,
        record: RequestRecord,
        headers: list[tuple[bytes, bytes]],
    ) -> None:
        self.completion = completion
        self.reply = reply
        self.pace = pace
        self.record = record
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await run_watching_disconnect(receive, self._stream(send), self.record)

    async def _stream(self, send: Send) -> None:
        completion, reply, record = self.completion, self.reply, self.record

        async def body(data: bytes) -> None:
            await send({"type": "http.response.body", "body": data, "more_body": True})

        if self.pace.ttft_s:
            await asyncio.sleep(self.pace.ttft_s)
        await send({"type": "http.response.start", "status": 200, "headers": STREAM_HEADERS + self.headers})
        if reply.ending == "empty":
            await send({"type": "http.response.body", "body": b""})
            return
        if reply.tokens or not reply.calls:
            await body(completion.prompt_filter_chunk() + completion.role_chunk())
        elif completion.azure:
            await body(completion.prompt_filter_chunk())

        loop = asyncio.get_running_loop()
        due = loop.time()
        step = self.pace.tokens_per_chunk

        async def paced(chunk: bytes, tokens: int) -> None:
            nonlocal due
            if record.chunks_sent:
                due += self.pace.gap(tokens)
                # Sleep to an absolute deadline so pacing does not drift; sleep(0) still lets others run.
                await asyncio.sleep(max(0.0, due - loop.time()))
            await body(chunk)
            record.first_token_at = record.first_token_at or time.time()
            record.tokens_sent += tokens
            record.chunks_sent += 1

        for start in range(0, len(reply.tokens), step):
            group = reply.tokens[start : start + step]
            await paced(completion.content_chunk("".join(group)), len(group))
        for index, call in enumerate(reply.calls):
            await body(completion.tool_call_chunk(index, call, with_role=not reply.tokens and index == 0))
            for start in range(0, len(call.fragments), step):
                fragments = call.fragments[start : start + step]
                await paced(completion.arguments_chunk(index, "".join(fragments)), len(fragments))

        if reply.ending == "drop":
            raise InjectedDrop
        if reply.ending == "sse_error":
            await send({"type": "http.response.body", "body": protocol.STREAM_ERROR})
            return
        if reply.ending == "no_finish":
            await send({"type": "http.response.body", "body": protocol.STREAM_DONE})
            return
        tail = completion.finish_chunk(reply.ending)
        if reply.include_usage:
            tail += completion.usage_chunk(reply.prompt_tokens, record.tokens_sent, reply.reasoning_tokens)
        await send({"type": "http.response.body", "body": tail + protocol.STREAM_DONE})
