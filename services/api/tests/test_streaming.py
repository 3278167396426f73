"""The streaming contract over a real socket: headers, incremental chunks, SSE events, UTF-8, cancellation."""

import asyncio
import codecs
import contextlib
import logging
import time
from typing import Any

import httpx
import pytest
from emulator.app import Emulator
from emulator.testing import eventually, serve
from semantic_kernel.contents import AuthorRole, FinishReason, StreamingChatMessageContent
from starlette.types import Message, Scope

from chat_api.chat.events import Failed, Finished, TextDelta
from chat_api.chat.reader import COALESCE_MAX, QUEUE_SIZE, ChatSource, ChatStream
from chat_api.chat.response import EventStreamResponse
from chat_api.chat.schemas import ChatRequest
from chat_api.chat.service import ChatService, OpenedStream, relay_batches
from chat_api.chat.upstream import build_history, execution_settings, open_upstream
from chat_api.chat.wire import ServerSentEvents
from chat_api.http.middleware import RequestRecord
from chat_api.main import create_app
from chat_api.server.uvicorn_server import ChatServer
from chat_api.stateless.answer import StatelessAnswer

from .conftest import PROMPTLY_S, ApiFactory, api_settings, chat, signed_in, sse_events, upstream_ended


async def model_tokens(texts: list[str], apart_s: float) -> ChatSource:
    """What Semantic Kernel yields for an answer whose tokens arrive `apart_s` apart (0: all at once); the last
    says why the answer ended, as a model's stream does."""
    for position, text in enumerate(texts):
        if apart_s:
            await asyncio.sleep(apart_s)
        reason = FinishReason.STOP if position == len(texts) - 1 else None
        yield [
            StreamingChatMessageContent(role=AuthorRole.ASSISTANT, content=text, choice_index=0, finish_reason=reason)
        ]


async def relayed_batches(source: ChatSource) -> list[list[object]]:
    """Open the stream as `ChatService.open` does (wait for the first token), then collect the relay's batches."""
    stream = ChatStream(source)
    try:
        opened = OpenedStream(stream, head=[await stream.next()], attempts=1)
        return [list(batch) async for batch in relay_batches(opened)]
    finally:
        await stream.aclose()


STREAM_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


async def test_plain_stream_relays_the_answer_with_the_contract_headers(client: httpx.AsyncClient) -> None:
    body, _ = chat("tokens=40")
    response = await client.post("/api/chat/stream", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert {k: response.headers[k] for k in STREAM_HEADERS} == STREAM_HEADERS
    assert len(response.headers["x-request-id"]) == 32
    assert "content-length" not in response.headers  # chunked
    assert response.text.startswith("## Hello there")


async def test_chunks_reach_the_client_before_the_upstream_finishes(client: httpx.AsyncClient) -> None:
    body, _ = chat("ttft_ms=0 token_ms=50 tokens=30")
    arrivals: list[float] = []
    start = time.monotonic()
    async with client.stream("POST", "/api/chat/stream", json=body) as response:
        async for _ in response.aiter_raw():
            arrivals.append(time.monotonic() - start)
    # 30 tokens 50 ms apart take ~1.5 s upstream; the first must reach us long before the last is made.
    assert len(arrivals) >= 20
    assert arrivals[-1] - arrivals[0] > 1.0
    assert arrivals[0] < PROMPTLY_S


async def test_events_stream_start_deltas_usage_done(client: httpx.AsyncClient, emulator: Emulator) -> None:
    body, tag = chat("tokens=12", options={"max_tokens": 100, "temperature": 0.3, "top_p": 0.9})
    response = await client.post("/api/chat/events", json=body, headers={"X-Request-ID": "req-42"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["x-request-id"] == "req-42"
    events = sse_events(response)
    names = [name for name, _ in events]
    assert names[0] == "start" and names[-2:] == ["usage", "done"]
    assert set(names[1:-2]) == {"delta"}
    assert events[0][1] == {"request_id": "req-42", "model": "chat"}
    usage = events[-2][1]
    assert usage["completion_tokens"] == 12
    assert usage["total_tokens"] == usage["prompt_tokens"] + 12
    assert events[-1][1] == {"finish_reason": "stop"}
    upstream = await upstream_ended(emulator, tag)
    assert upstream.options == {"max_tokens": 100, "temperature": 0.3, "top_p": 0.9, "stream": True,
                                "stream_options": {"include_usage": True}}  # fmt: skip
    assert upstream.messages == 2  # our system prompt, then the message


async def test_history_reaches_the_model_after_our_system_prompt(client: httpx.AsyncClient, emulator: Emulator) -> None:
    history = [{"role": "user", "content": "first"}, {"role": "assistant", "content": "reply"}]
    body, tag = chat("tokens=3", history=history)
    assert (await client.post("/api/chat/stream", json=body)).status_code == 200
    assert (await upstream_ended(emulator, tag)).messages == 4


async def test_length_finish_reason(client: httpx.AsyncClient) -> None:
    body, _ = chat("", options={"max_tokens": 5})
    events = sse_events(await client.post("/api/chat/events", json=body))
    assert events[-1] == ("done", {"finish_reason": "length"})
    assert sum(1 for name, _ in events if name == "delta") == 5


async def test_utf8_survives_every_chunk_boundary(client: httpx.AsyncClient) -> None:
    body, _ = chat("tokens_per_chunk=1")
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    text = ""
    async with client.stream("POST", "/api/chat/stream", json=body) as response:
        async for raw in response.aiter_raw():
            text += decoder.decode(raw)
    text += decoder.decode(b"", final=True)
    for sample in ("Ça va très bien", "こんにちは、世界", "你好", "🚀"):
        assert sample in text
    assert "\ufffd" not in text


async def test_heartbeats_while_the_upstream_is_silent(api_server: ApiFactory) -> None:
    with api_server(HEARTBEAT_S=0.05) as url:
        async with signed_in(url) as http:
            body, _ = chat("ttft_ms=0 token_ms=200 tokens=3")
            response = await http.post("/api/chat/events", json=body)
    assert "\n\n: keep-alive\n\n" in response.text
    assert sse_events(response)[-1] == ("done", {"finish_reason": "stop"})


@pytest.mark.parametrize("route", ["/api/chat/stream", "/api/chat/events"])
async def test_client_leaving_mid_stream_closes_the_upstream_within_100ms(
    client: httpx.AsyncClient, emulator: Emulator, route: str
) -> None:
    body, tag = chat("ttft_ms=0 token_ms=50 tokens=200")
    async with client.stream("POST", route, json=body) as response:
        chunks = 0
        async for _ in response.aiter_raw():
            chunks += 1
            if chunks == 3:
                break
        left_at = time.time()
    upstream = await upstream_ended(emulator, tag)
    assert upstream.disconnected and upstream.disconnected_at is not None
    assert upstream.disconnected_at - left_at < PROMPTLY_S
    assert upstream.tokens_sent < 20


async def test_client_leaving_before_the_first_token_closes_the_upstream(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    body, tag = chat("ttft_ms=1500")
    with pytest.raises(httpx.ReadTimeout):
        await client.post("/api/chat/events", json=body, timeout=httpx.Timeout(5, read=0.3))
    left_at = time.time()
    upstream = await upstream_ended(emulator, tag)
    assert upstream.disconnected and upstream.status is None
    assert upstream.disconnected_at is not None and upstream.disconnected_at - left_at < PROMPTLY_S


async def test_a_burst_is_relayed_in_few_writes_and_its_first_token_at_once() -> None:
    texts = [f"t{i} " for i in range(200)]
    batches = await relayed_batches(model_tokens(texts, apart_s=0))
    assert batches[0] == [TextDelta("t0 ")]  # handed over before the rest of the burst was parsed
    assert max(len(batch) for batch in batches) <= COALESCE_MAX + 1  # so no token waits long for the rest
    assert len(batches) <= 200 // COALESCE_MAX + 3  # the rest went out in few writes, not 200
    events = [event for batch in batches for event in batch]
    assert events == [*(TextDelta(text) for text in texts), Finished("stop")]


async def test_tokens_arriving_apart_are_relayed_one_by_one() -> None:
    texts = [f"t{i} " for i in range(15)]
    batches = await relayed_batches(model_tokens(texts, apart_s=0.002))
    # One write per token, as each arrives; the end of the answer comes with the last one.
    assert batches == [*([TextDelta(text)] for text in texts[:-1]), [TextDelta(texts[-1]), Finished("stop")]]


async def test_a_stream_that_ends_without_a_finish_reason_has_not_finished() -> None:
    """llama.cpp's servers end a stream they cut (a second request arrived) with `[DONE]` and no finish reason:
    that is a failure, not an answer that ended."""

    async def cut_short() -> ChatSource:
        for text in ("It ", "was "):
            yield [StreamingChatMessageContent(role=AuthorRole.ASSISTANT, content=text, choice_index=0)]

    batches = await relayed_batches(cut_short())
    events = [event for batch in batches for event in batch]
    assert events[:2] == [TextDelta("It "), TextDelta("was ")] and len(events) == 3
    assert isinstance(events[-1], Failed) and events[-1].code == "upstream_incomplete"


async def test_a_reader_stopped_while_waiting_for_room_in_the_queue_still_closes_the_upstream(
    emulator_url: str, emulator: Emulator
) -> None:
    """Nobody reads the stream, so its reading task waits for room in the queue, outside the HTTP read, when it
    is stopped. Cancelling it there leaves Semantic Kernel's response open; the stream must close it itself."""
    body, tag = chat("ttft_ms=0 token_ms=5 tokens=400")
    settings = api_settings(emulator_url)
    request = ChatRequest.model_validate(body)
    async with open_upstream(settings) as upstream:
        history, options = (
            build_history(request, settings.SYSTEM_PROMPT),
            execution_settings(request, settings, upstream.settings_class),
        )
        stream = ChatStream(upstream.chat.get_streaming_chat_message_contents(history, options))
        # Well past a full queue (QUEUE_SIZE deltas), with the upstream still sending:
        await eventually(lambda: any(r.tokens_sent > QUEUE_SIZE + 50 for r in emulator.log.recent(tag)))
        left_at = time.time()
        await stream.aclose()
        upstream_record = await upstream_ended(emulator, tag)
    assert upstream_record.disconnected and upstream_record.disconnected_at is not None
    assert upstream_record.disconnected_at - left_at < PROMPTLY_S


async def test_an_aborted_stream_shuts_its_upstream_before_the_event_loop_turns_again(
    emulator_url: str, emulator: Emulator
) -> None:
    """Under load each turn of the event loop carries every other stream's work, and closing a response takes
    several: `abort` (a client gone, a Stop) must end the upstream connection by itself, with no turn at all."""
    body, tag = chat("ttft_ms=0 token_ms=20 tokens=400")
    settings = api_settings(emulator_url)
    request = ChatRequest.model_validate(body)
    async with open_upstream(settings) as upstream:
        opened = await ChatService(upstream, settings).open(request)
        opened.stream.abort()
        aborted_at = time.time()
        time.sleep(0.5)  # noqa: ASYNC251 - on purpose: the loop does not turn, so only `abort` itself can act
        upstream_record = await upstream_ended(emulator, tag)
        await opened.stream.aclose()
    assert upstream_record.disconnected and upstream_record.disconnected_at is not None
    assert upstream_record.disconnected_at - aborted_at < PROMPTLY_S


async def test_a_stream_still_running_when_the_server_stops_is_told_the_service_is_restarting(
    emulator_url: str, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Shutdown with a grace period (gunicorn's restart, see chat_api.server.worker): a stream that outlives it gets
    an `error` event saying why it ends, then a clean end; and its upstream request is closed."""
    body, tag = chat("ttft_ms=0 token_ms=50 tokens=300")
    server = contextlib.ExitStack()
    url = server.enter_context(serve(create_app(api_settings(emulator_url)), graceful_s=1, server_class=ChatServer))
    # Uvicorn's error log does not reach the root logger caplog listens to (and its set-up resets handlers).
    uvicorn_log = logging.getLogger("uvicorn.error")
    uvicorn_log.addHandler(caplog.handler)
    stopping: asyncio.Task[None] | None = None
    text = ""
    async with (
        signed_in(url) as http,
        http.stream("POST", "/api/chat/events", json=body) as r,
    ):
        async for chunk in r.aiter_text():
            text += chunk
            if stopping is None and text.count("event: delta") >= 3:
                stopping = asyncio.create_task(asyncio.to_thread(server.close))
    assert stopping is not None
    await stopping
    events = sse_events(text)
    assert events[-1] == (
        "error",
        {"code": "upstream_unavailable", "message": "The chat service is restarting. Please retry."},
    )
    assert (await upstream_ended(emulator, tag)).disconnected
    uvicorn_log.removeHandler(caplog.handler)
    assert "Exception in ASGI application" not in caplog.text  # an orderly end, not a crash with a traceback


async def test_a_stream_cancelled_by_its_caller_is_not_told_the_service_is_restarting(
    emulator_url: str, emulator: Emulator
) -> None:
    """Only the server's shutdown deadline means "restarting". Any other cancellation around the response (a
    timeout, a task group) is its caller's: the response closes the upstream, sends nothing, and re-raises."""
    body, tag = chat("ttft_ms=0 token_ms=20 tokens=400")
    settings = api_settings(emulator_url)
    sent: list[Message] = []
    disconnected = asyncio.Event()

    async def receive() -> Message:
        await disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    async with open_upstream(settings) as upstream:
        service = ChatService(upstream, settings)
        request = ChatRequest.model_validate(body)
        record = RequestRecord(request_id="r1", method="POST", route="/api/chat/events")
        response = EventStreamResponse(StatelessAnswer(service, request, record), ServerSentEvents(), record)
        scope: Scope = {"type": "http", "method": "POST", "path": "/api/chat/events", "headers": []}
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await response(scope, receive, send)
    bodies = b"".join(m.get("body", b"") for m in sent)
    assert b"event: delta" in bodies and b"restarting" not in bodies
    assert record.error_code is None
    assert (await upstream_ended(emulator, tag)).disconnected


async def test_the_streams_state_is_set_before_its_task_can_run() -> None:
    """An eager task factory runs a task's first step inside `create_task`: the reading task then reads the
    stream's fields at once. Every field the task uses must exist before it is created."""
    seen: dict[str, set[str]] = {}
    loop = asyncio.get_running_loop()

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        owner = coro.cr_frame.f_locals.get("self")
        if isinstance(owner, ChatStream):
            seen[coro.__qualname__] = set(vars(owner) if hasattr(owner, "__dict__") else ())
        return asyncio.Task(coro, loop=loop, **kwargs)

    previous = loop.get_task_factory()
    loop.set_task_factory(factory)
    try:
        stream = ChatStream(model_tokens(["a", "b"], apart_s=0.01))
    finally:
        loop.set_task_factory(previous)
    await stream.aclose()
    assert set(seen) == {"ChatStream._pump"}
    for fields in seen.values():
        assert {"_queue", "_first", "_responses", "_failure"} <= fields
