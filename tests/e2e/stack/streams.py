"""Many chat streams at once through nginx (httpx + httpx-sse): what each one saw, and when.

For the load, cancellation, soak and restart tests. Times that are compared with the emulator's request log
are wall-clock (time.time(): the containers share the host's clock); gaps are monotonic.
"""

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from httpx_sse import EventSource, aconnect_sse

from .support import BASE_URL, bearer


@dataclass
class StreamRun:
    tag: str
    request_id: str | None = None
    status: int | None = None
    events: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    started_at: float = 0.0  # wall clock, request sent
    first_delta_at: float | None = None  # wall clock
    gaps: list[float] = field(default_factory=list)  # seconds between deltas
    delta_at: list[float] = field(default_factory=list)  # wall clock, each delta's arrival
    finish_reason: str | None = None
    error: str | None = None  # an HTTP status, an `error` event's code, or a transport failure
    aborted_at: float | None = None  # wall clock, when the client gave up on purpose

    @property
    def completed(self) -> bool:
        return self.status == 200 and self.finish_reason == "stop" and self.error is None

    @property
    def ended_cleanly_or_clearly(self) -> bool:
        """Finished, or failed with something a client can show: an HTTP error, an `error` event, a cut."""
        return self.completed or self.error is not None


def client(streams: int, timeout: float = 60.0) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=streams, max_keepalive_connections=0)
    timeouts = httpx.Timeout(timeout, connect=10.0)
    return httpx.AsyncClient(base_url=BASE_URL, limits=limits, timeout=timeouts, headers=bearer())


def new_request_tag() -> str:
    return uuid.uuid4().hex


async def run_stream(http: httpx.AsyncClient, directive: str, run: StreamRun | None = None) -> StreamRun:
    """POST /api/chat/events with an @emulator `directive`, and read it to its end (or until cancelled).
    Pass `run` to watch it fill while the stream goes on."""
    run = run or StreamRun(new_request_tag())
    run.started_at = time.time()
    payload = {"message": f"Load test question\n@emulator {directive} tag={run.tag}"}
    last = None
    try:
        async with aconnect_sse(http, "POST", "/api/chat/events", json=payload) as source:
            run.status = source.response.status_code
            run.request_id = source.response.headers.get("x-request-id")
            if run.status != 200:
                await source.response.aread()
                run.error = f"HTTP {run.status}"
                return run
            async for event in source.aiter_sse():
                run.events.append(event.event)
                if event.event == "delta":
                    now = time.monotonic()
                    run.delta_at.append(time.time())
                    if last is None:
                        run.first_delta_at = time.time()
                    else:
                        run.gaps.append(now - last)
                    last = now
                    run.text.append(json.loads(event.data)["text"])
                elif event.event == "done":
                    run.finish_reason = json.loads(event.data)["finish_reason"]
                elif event.event == "error":
                    run.error = json.loads(event.data)["code"]
        if run.finish_reason is None and run.error is None:
            run.error = "ended without done"
    except httpx.HTTPError as error:
        run.error = type(error).__name__
    except asyncio.CancelledError:
        # The moment this client really leaves: its connection closes as the cancellation unwinds from here.
        # (Set before cancelling, it would also count this process's own turn-taking among 100 streams.)
        run.aborted_at = time.time()
        raise
    return run


async def wait_for(condition: Callable[[], bool], within: float, step: float = 0.01) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within}s")
        await asyncio.sleep(step)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


@dataclass
class AnswerRun(StreamRun):
    """An answer in a conversation, followed as the UI follows it: again from the last event id whenever the
    connection is cut (a replica restarting, say), until its terminal event."""

    answer_id: str | None = None
    conversation_id: str | None = None
    reconnects: int = 0
    snapshots: int = 0
    retried: bool = False  # sent again after a 503's Retry-After


async def _read_answer(source: EventSource, run: AnswerRun, last_id: str | None) -> str | None:
    async for event in source.aiter_sse():
        if not event.data:
            continue  # a connection cut in the middle of an event (a replica restarting) leaves it without data
        if event.id:
            last_id = event.id
        run.events.append(event.event)
        data = json.loads(event.data)
        match event.event:
            case "start":
                run.answer_id = data["assistant_message_id"]
                run.text.clear()  # the events start again from the first
            case "delta":
                if run.first_delta_at is None:
                    run.first_delta_at = time.time()
                run.text.append(data["text"])
            case "snapshot":
                run.snapshots += 1
                run.text[:] = [data["content"]]
                last_id = None  # from a snapshot, a reader cut off starts over
            case "done":
                run.finish_reason = data["finish_reason"]
            case "error":
                run.error = data["code"]
    return last_id


async def run_answer(
    http: httpx.AsyncClient, directive: str, run: AnswerRun | None = None, max_reconnects: int = 30
) -> AnswerRun:
    """A new conversation, a message in it, and its answer read to the end through every cut."""
    run = run or AnswerRun(new_request_tag())
    created = await http.post("/api/conversations", json={})
    if created.status_code != 201:
        run.status, run.error = created.status_code, f"HTTP {created.status_code} creating a conversation"
        return run
    run.conversation_id = created.json()["id"]
    run.started_at = time.time()  # the message sent
    payload = {"content": f"Replica test question\n@emulator {directive} tag={run.tag}"}
    last_id: str | None = None
    try:
        path = f"/api/conversations/{run.conversation_id}/messages"
        async with aconnect_sse(http, "POST", path, json=payload) as source:
            run.status = source.response.status_code
            run.request_id = source.response.headers.get("x-request-id")
            if run.status != 200:
                await source.response.aread()
                run.error = f"HTTP {run.status}"
                return run
            last_id = await _read_answer(source, run, last_id)
    except httpx.HTTPError:
        pass  # cut: followed again below
    if run.answer_id is None and run.error is None:
        run.error = "cut before its start"
    return await follow_answer(http, run, last_id, max_reconnects)


async def follow_answer(
    http: httpx.AsyncClient, run: AnswerRun, last_id: str | None, max_reconnects: int = 30
) -> AnswerRun:
    """`run.answer_id`'s events after `last_id` (all of them if None), again after every cut, to its end."""
    waited = run.events == []  # a new reader starts at once; one that was cut waits a little first
    while run.finish_reason is None and run.error is None:
        if not waited:
            if run.reconnects >= max_reconnects:
                run.error = "gave up following"
                break
            run.reconnects += 1
            await asyncio.sleep(min(2.0, 0.25 * run.reconnects))
        waited = False
        headers = {"Last-Event-ID": last_id} if last_id else {}
        try:
            async with aconnect_sse(http, "GET", f"/api/generations/{run.answer_id}/events", headers=headers) as source:
                if source.response.status_code != 200:
                    await source.response.aread()
                    continue  # nginx's 502/503 while a replica restarts: try again
                run.status = run.status or 200
                last_id = await _read_answer(source, run, last_id)
        except httpx.HTTPError:
            continue
    return run
