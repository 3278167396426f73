"""Answers in conversations: streamed with ids, saved as they grow and at their end, resumable, stoppable,
independent of the reader; on SQLite and Postgres."""

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from emulator.app import Emulator
from httpx_sse import EventSource, ServerSentEvent, aconnect_sse

from chat_api.chat.events import Finished, TextDelta
from chat_api.generations.log import order
from chat_api.generations.store import GenerationStore, Outcome, Turn
from chat_api.storage.engine import create_engine, create_sessions
from chat_api.storage.models import MessageStatus, utcnow

from .conftest import PROMPTLY_S, ApiFactory, api_settings, signed_in, upstream_ended
from .redis_server import restartable_redis

SECRET = "a-test-signing-secret-of-forty-characters"


@pytest.fixture(scope="module")
async def served(api_server: ApiFactory, shared_store: dict[str, str]) -> AsyncIterator[tuple[str, dict[str, str]]]:
    # Per-user limits out of the way here (test_limits.py is about them).
    with api_server(
        AUTH_SECRET=SECRET, GUEST_CONCURRENT_STREAMS=50, GUEST_REQUESTS_PER_MINUTE=500, **shared_store
    ) as url:
        yield url, shared_store


@pytest.fixture
async def ada(served: tuple[str, dict[str, str]]) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_in(served[0]) as http:
        yield http


def frames(response: httpx.Response) -> list[ServerSentEvent]:
    return list(EventSource(response).iter_sse())


def text_of(events: list[ServerSentEvent]) -> str:
    return "".join(event.json()["text"] for event in events if event.event == "delta")


async def conversation(http: httpx.AsyncClient) -> str:
    created: str = (await http.post("/api/conversations", json={})).json()["id"]
    return created


async def send(http: httpx.AsyncClient, conversation_id: str, content: str, **extra: Any) -> httpx.Response:
    headers = extra.pop("headers", {})
    return await http.post(
        f"/api/conversations/{conversation_id}/messages", json={"content": content, **extra}, headers=headers
    )


async def messages(http: httpx.AsyncClient, conversation_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await http.get(f"/api/conversations/{conversation_id}")).json()["messages"]["items"]
    return items


def tagged(text: str, directive: str = "") -> tuple[str, str]:
    tag = uuid.uuid4().hex
    return f"{text}\n@emulator {directive} tag={tag}", tag


async def test_an_answer_streams_with_ids_and_is_saved(ada: httpx.AsyncClient, emulator: Emulator) -> None:
    conversation_id = await conversation(ada)
    content, tag = tagged("Hello", "tokens=12")
    response = await send(ada, conversation_id, content, options={"max_tokens": 100})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = frames(response)
    names = [e.event for e in events]
    assert names[0] == "start" and names[-2:] == ["usage", "done"]
    ids = [int(e.id.removeprefix("0-")) for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)  # every event has its own, increasing id
    start = events[0].json()
    assert start["conversation_id"] == conversation_id and start["model"] == "chat"
    saved = await messages(ada, conversation_id)
    assert [(m["role"], m["status"]) for m in saved] == [("user", "done"), ("assistant", "done")]
    assert saved[0]["id"] == start["user_message_id"] and saved[1]["id"] == start["assistant_message_id"]
    assert saved[1]["content"] == text_of(events) and saved[1]["finish_reason"] == "stop"
    assert saved[1]["usage"]["completion_tokens"] == 12
    assert (await upstream_ended(emulator, tag)).options["max_tokens"] == 100


async def test_the_next_message_continues_the_branch(ada: httpx.AsyncClient, emulator: Emulator) -> None:
    conversation_id = await conversation(ada)
    first, _ = tagged("one", "tokens=5")
    await send(ada, conversation_id, first)
    second, tag = tagged("two", "tokens=5")
    await send(ada, conversation_id, second)
    assert (await upstream_ended(emulator, tag)).messages == 4  # system, one, its answer, two
    assert len(await messages(ada, conversation_id)) == 4


async def test_retry_makes_a_sibling_and_keeps_later_turns(ada: httpx.AsyncClient) -> None:
    conversation_id = await conversation(ada)
    await send(ada, conversation_id, tagged("first", "tokens=5")[0])
    await send(ada, conversation_id, tagged("second", "tokens=5")[0])
    first_answer = (await messages(ada, conversation_id))[1]
    retried = await ada.post(f"/api/conversations/{conversation_id}/messages/{first_answer['id']}/retry", json={})
    assert retried.status_code == 200
    new_answer = frames(retried)[0].json()["assistant_message_id"]
    branch = await messages(ada, conversation_id)
    assert [m["id"] for m in branch][1] == new_answer and len(branch) == 2
    assert branch[1]["sibling_ids"] == [first_answer["id"], new_answer]
    back = await ada.put(f"/api/conversations/{conversation_id}/branch", json={"message_id": first_answer["id"]})
    old = back.json()["messages"]["items"]
    assert len(old) == 4 and old[1]["id"] == first_answer["id"]  # the later turns were never deleted
    assert (await messages(ada, conversation_id))[1]["id"] == first_answer["id"]  # the choice is kept


async def test_editing_a_message_makes_a_sibling_branch(ada: httpx.AsyncClient) -> None:
    conversation_id = await conversation(ada)
    await send(ada, conversation_id, tagged("first", "tokens=5")[0])
    await send(ada, conversation_id, tagged("second", "tokens=5")[0])
    before = await messages(ada, conversation_id)
    edited = await send(ada, conversation_id, tagged("second, edited", "tokens=5")[0], parent_id=before[1]["id"])
    assert edited.status_code == 200
    after = await messages(ada, conversation_id)
    assert after[2]["content"].startswith("second, edited") and after[2]["sibling_ids"][0] == before[2]["id"]
    root_edit = await send(ada, conversation_id, tagged("first, edited", "tokens=5")[0], parent_id=None)
    assert root_edit.status_code == 200
    assert (await messages(ada, conversation_id))[0]["sibling_ids"][0] == before[0]["id"]
    wrong = await send(ada, conversation_id, "x", parent_id=before[0]["id"])  # a user message is no parent
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "not_found"


async def test_a_repeated_post_gets_the_first_answer_not_a_second(ada: httpx.AsyncClient, emulator: Emulator) -> None:
    conversation_id = await conversation(ada)
    content, tag = tagged("once", "tokens=8")
    key = {"Idempotency-Key": "send-" + uuid.uuid4().hex}
    first = frames(await send(ada, conversation_id, content, headers=key))
    again = await send(ada, conversation_id, content, headers=key)
    assert again.status_code == 200
    repeated = frames(again)
    assert repeated[0].json()["assistant_message_id"] == first[0].json()["assistant_message_id"]
    assert text_of(repeated) == text_of(first)
    assert len(emulator.log.recent(tag)) == 1  # one upstream call
    assert len(await messages(ada, conversation_id)) == 2


async def test_one_answer_at_a_time_in_a_conversation(ada: httpx.AsyncClient) -> None:
    conversation_id = await conversation(ada)
    slow, _ = tagged("slow", "ttft_ms=0 token_ms=20 tokens=50")
    results = await asyncio.gather(*(send(ada, conversation_id, slow) for _ in range(5)))
    statuses = sorted(response.status_code for response in results)
    assert statuses == [200, 409, 409, 409, 409]
    refused = next(response for response in results if response.status_code == 409)
    assert refused.json()["error"]["code"] == "conflict"
    assert len(await messages(ada, conversation_id)) == 2


async def test_stop_keeps_the_partial_answer_and_closes_the_upstream(
    ada: httpx.AsyncClient, emulator: Emulator
) -> None:
    conversation_id = await conversation(ada)
    content, tag = tagged("long", "ttft_ms=0 token_ms=30 tokens=400")
    received: list[ServerSentEvent] = []
    async with aconnect_sse(
        ada, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
    ) as source:
        async for event in source.aiter_sse():
            received.append(event)
            if event.event == "delta" and sum(e.event == "delta" for e in received) == 5:
                answer = received[0].json()["assistant_message_id"]
                stopped_at = time.time()
                stop = await ada.post(f"/api/generations/{answer}/stop")
                assert stop.status_code == 202
    assert received[-1].event == "done" and received[-1].json() == {"finish_reason": "cancelled"}
    record = await upstream_ended(emulator, tag)
    assert record.disconnected and record.disconnected_at is not None
    assert record.disconnected_at - stopped_at < PROMPTLY_S
    saved = (await messages(ada, conversation_id))[1]
    assert saved["status"] == "stopped" and saved["finish_reason"] == "cancelled"
    assert saved["content"] == text_of(received) and saved["content"]
    again = await ada.post(f"/api/generations/{answer}/stop")
    assert again.status_code == 409


async def test_a_reader_leaving_does_not_stop_the_answer(ada: httpx.AsyncClient, emulator: Emulator) -> None:
    conversation_id = await conversation(ada)
    content, tag = tagged("keep going", "ttft_ms=0 token_ms=10 tokens=60")
    async with aconnect_sse(
        ada, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
    ) as source:
        async for event in source.aiter_sse():
            if event.event == "delta":
                break  # the tab closes
    record = await upstream_ended(emulator, tag)
    assert not record.disconnected and record.tokens_sent == 60
    for _ in range(100):
        saved = (await messages(ada, conversation_id))[1]
        if saved["status"] != "streaming":
            break
        await asyncio.sleep(0.05)
    assert saved["status"] == "done" and saved["usage"]["completion_tokens"] == 60


async def test_a_failure_before_the_first_token_is_an_error_event_after_start_and_is_saved(
    ada: httpx.AsyncClient,
) -> None:
    """`start` goes out as soon as the message is accepted, so a model that fails before its first token is
    told as an event (the stateless routes, which send nothing before it, keep a real status)."""
    conversation_id = await conversation(ada)
    response = await send(ada, conversation_id, tagged("hi", "fault=401")[0])
    assert response.status_code == 200
    events = frames(response)
    assert [event.event for event in events] == ["start", "error"]
    assert events[-1].json()["code"] == "upstream_auth_failed" and events[-1].json()["message"]
    saved = await messages(ada, conversation_id)
    assert [(m["role"], m["status"]) for m in saved] == [("user", "done"), ("assistant", "error")]
    assert saved[1]["error"]["code"] == "upstream_auth_failed"


async def test_a_failure_mid_answer_keeps_what_arrived(ada: httpx.AsyncClient) -> None:
    conversation_id = await conversation(ada)
    events = frames(await send(ada, conversation_id, tagged("hi", "fault=drop after=4")[0]))
    assert events[-1].event == "error" and events[-1].json()["code"] == "upstream_unavailable"
    saved = (await messages(ada, conversation_id))[1]
    assert saved["status"] == "error" and saved["content"] == text_of(events) and saved["content"]


async def test_resuming_from_an_event_id_sends_exactly_the_rest(ada: httpx.AsyncClient) -> None:
    conversation_id = await conversation(ada)
    content, _ = tagged("resume me", "ttft_ms=0 token_ms=5 tokens=80")
    seen: list[ServerSentEvent] = []
    async with aconnect_sse(
        ada, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
    ) as source:
        async for event in source.aiter_sse():
            seen.append(event)
            if len(seen) == 10:
                break  # the connection drops
    answer = seen[0].json()["assistant_message_id"]
    response = await ada.get(f"/api/generations/{answer}/events", headers={"Last-Event-ID": seen[-1].id})
    rest = frames(response)
    assert order(rest[0].id) == (0, order(seen[-1].id)[1] + 1)
    whole = text_of(seen) + text_of(rest)
    assert whole == (await messages(ada, conversation_id))[1]["content"]
    assert rest[-1].event == "done"
    everything = frames(await ada.get(f"/api/generations/{answer}/events"))
    assert text_of(everything) == whole  # from the start, when no id is given


async def test_once_its_events_are_gone_an_answer_is_read_from_the_database(
    api_server: ApiFactory, database: dict[str, str]
) -> None:
    with api_server(AUTH_SECRET=SECRET, GENERATION_KEEP_S=1, **database) as url:
        async with signed_in(url) as ada:
            conversation_id = await conversation(ada)
            events = frames(await send(ada, conversation_id, tagged("old", "tokens=10")[0]))
            await asyncio.sleep(1.3)
            later = frames(await ada.get(f"/api/generations/{events[0].json()['assistant_message_id']}/events"))
    assert [event.event for event in later] == ["snapshot", "done"]
    assert later[0].json()["content"] == text_of(events) and later[0].json()["status"] == "done"


async def test_an_answer_whose_owner_died_is_interrupted_when_its_lease_lapses(
    served: tuple[str, dict[str, str]], ada: httpx.AsyncClient
) -> None:
    _, database = served
    conversation_id = await conversation(ada)
    engine = create_engine(api_settings("http://unused", **database))
    store = GenerationStore(create_sessions(engine), lease=timedelta(seconds=-1))  # an owner already gone
    turn = Turn(uuid.UUID(conversation_id), uuid.uuid4(), uuid.uuid4(), True, None, "hi", None, None, "chat")
    await store.insert(turn)
    await store.progress(turn.assistant_id, "half an ans")
    await engine.dispose()
    for _ in range(60):  # the sweeper runs every 2 s
        saved = await messages(ada, conversation_id)
        if saved[1]["status"] == "interrupted":
            break
        await asyncio.sleep(0.1)
    assert saved[1]["status"] == "interrupted" and saved[1]["content"] == "half an ans"
    assert saved[1]["error"]["code"] == "upstream_unavailable"
    assert (await send(ada, conversation_id, tagged("next", "tokens=3")[0])).status_code == 200


async def test_an_answer_without_a_reader_ends_interrupted_when_the_server_stops(
    emulator_url: str, database: dict[str, str]
) -> None:
    from emulator.testing import serve

    from chat_api.main import create_app
    from chat_api.server.uvicorn_server import ChatServer

    settings = api_settings(emulator_url, AUTH_SECRET=SECRET, GRACEFUL_TIMEOUT_S=4, **database)
    with serve(create_app(settings), graceful_s=1, server_class=ChatServer) as url:
        async with signed_in(url) as ada:
            conversation_id = await conversation(ada)
            async with aconnect_sse(
                ada, "POST", f"/api/conversations/{conversation_id}/messages",
                json={"content": tagged("long", "ttft_ms=0 token_ms=50 tokens=400")[0]},
            ) as source:  # fmt: skip
                async for event in source.aiter_sse():
                    if event.event == "delta":
                        break
    with serve(create_app(settings)) as url:
        async with signed_in(url) as ada:
            engine = create_engine(settings)
            from sqlalchemy import select

            from chat_api.storage.models import Message

            async with create_sessions(engine)() as session:
                answer = await session.scalar(select(Message).where(Message.role == "assistant"))
            await engine.dispose()
    assert answer is not None and answer.status == "interrupted" and answer.content
    assert answer.error_code == "upstream_unavailable"
    assert utcnow() - answer.updated_at < timedelta(seconds=30)


async def test_another_process_resumes_and_stops_an_answer_through_redis(
    api_server: ApiFactory, postgres: Any, redis_url: str, emulator: Emulator
) -> None:
    """Two api processes on one database and one Redis (two replicas, or two workers): the answer runs on A;
    B serves its events from any point and stops it."""
    shared = {"AUTH_SECRET": SECRET, "DATABASE_URL": await postgres.new(), "REDIS_URL": redis_url}
    with api_server(**shared) as url_a, api_server(**shared) as url_b:
        async with signed_in(url_a) as on_a, httpx.AsyncClient(base_url=url_b, headers=on_a.headers) as on_b:
            conversation_id = await conversation(on_a)
            content, tag = tagged("across", "ttft_ms=0 token_ms=40 tokens=400")
            seen: list[ServerSentEvent] = []
            async with aconnect_sse(
                on_a, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
            ) as source:
                async for event in source.aiter_sse():
                    seen.append(event)
                    if len(seen) == 6:
                        break  # the connection to A drops
            answer = seen[0].json()["assistant_message_id"]
            started = time.perf_counter()
            async with aconnect_sse(
                on_b, "GET", f"/api/generations/{answer}/events", headers={"Last-Event-ID": seen[-1].id}
            ) as source:
                rest: list[ServerSentEvent] = []
                async for event in source.aiter_sse():
                    if not rest:
                        first_after = time.perf_counter() - started
                    rest.append(event)
                    if len(rest) == 5:
                        stopped_at = time.time()
                        assert (await on_b.post(f"/api/generations/{answer}/stop")).status_code == 202
    assert order(rest[0].id) == (0, order(seen[-1].id)[1] + 1)  # exactly what was missed, then live
    assert first_after < 2 * PROMPTLY_S  # replayed at once, not at a poll or the next live event
    assert rest[-1].event == "done" and rest[-1].json() == {"finish_reason": "cancelled"}
    record = await upstream_ended(emulator, tag)
    assert record.disconnected and record.disconnected_at is not None
    assert record.disconnected_at - stopped_at < 0.1  # the owner, A, closed the upstream at once


async def test_a_stop_that_reaches_no_owner_is_a_503_not_a_202(
    api_server: ApiFactory, postgres: Any, redis_url: str
) -> None:
    """An answer still `streaming` with a live lease, but no process writes it (its owner died a moment ago):
    PUBLISH is heard by every process (the api's own listener too), so counting receivers said 202 and nothing
    stopped. Only the owner's acknowledgement does: without one, 503 and `Retry-After`; once the answer has
    ended, 409."""
    shared = {"AUTH_SECRET": SECRET, "DATABASE_URL": await postgres.new(), "REDIS_URL": redis_url}
    with api_server(**shared) as url:
        async with signed_in(url) as ada:
            conversation_id = await conversation(ada)
            engine = create_engine(api_settings("http://unused", **shared))
            store = GenerationStore(create_sessions(engine), lease=timedelta(seconds=30))  # a live owner's lease
            turn = Turn(uuid.UUID(conversation_id), uuid.uuid4(), uuid.uuid4(), True, None, "hi", None, None, "chat")
            await store.insert(turn)
            started = time.perf_counter()
            unreached = await ada.post(f"/api/generations/{turn.assistant_id}/stop")
            waited = time.perf_counter() - started
            await store.end(turn.assistant_id, Outcome(MessageStatus.INTERRUPTED, ""))
            ended = await ada.post(f"/api/generations/{turn.assistant_id}/stop")
            await engine.dispose()
    assert unreached.status_code == 503, unreached.text
    assert unreached.json()["error"]["code"] == "stop_unavailable" and unreached.headers["Retry-After"] == "1"
    assert waited < 3  # the owner's acknowledgement is waited for a second
    assert ended.status_code == 409 and ended.json()["error"]["code"] == "conflict"


async def test_a_stop_while_redis_is_away_says_so_then_reaches_the_owner(
    api_server: ApiFactory, postgres: Any, emulator: Emulator
) -> None:
    """The answer runs on A; Redis is out of reach when a Stop lands on B: 503 (it was a 202 that stopped
    nothing). With Redis back, a retry reaches A, which stops the answer."""
    with restartable_redis() as redis:
        shared = {"AUTH_SECRET": SECRET, "DATABASE_URL": await postgres.new(), "REDIS_URL": redis.url}
        with api_server(**shared) as url_a, api_server(**shared) as url_b:
            async with signed_in(url_a) as on_a, httpx.AsyncClient(base_url=url_b, headers=on_a.headers) as on_b:
                conversation_id = await conversation(on_a)
                content, tag = tagged("stop me later", "ttft_ms=0 token_ms=40 tokens=400")
                seen: list[ServerSentEvent] = []
                async with aconnect_sse(
                    on_a, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
                ) as source:
                    async for event in source.aiter_sse():
                        seen.append(event)
                        if len(seen) == 3:
                            break
                answer = seen[0].json()["assistant_message_id"]
                await asyncio.to_thread(redis.stop)
                away = await on_b.post(f"/api/generations/{answer}/stop")
                await asyncio.to_thread(redis.start)
                statuses = []
                for _ in range(40):  # A's listener subscribes again within a few seconds
                    retried = await on_b.post(f"/api/generations/{answer}/stop")
                    statuses.append(retried.status_code)
                    if retried.status_code != 503:
                        break
                    await asyncio.sleep(float(retried.headers["Retry-After"]) / 4)
                record = await upstream_ended(emulator, tag)
                saved = (await messages(on_a, conversation_id))[1]
    assert away.status_code == 503 and away.json()["error"]["code"] == "stop_unavailable"
    assert statuses[-1] == 202 and retried.json() == {"status": "stopping"}
    assert record.disconnected
    assert saved["status"] == "stopped" and saved["finish_reason"] == "cancelled"


async def test_an_interrupted_answer_keeps_every_word_its_readers_saw(
    api_server: ApiFactory, postgres: Any, redis_url: str
) -> None:
    """The owner saves about once a second; it died after its last save, but its events reached Redis: the
    sweeper saves those words too (nothing a reader saw is lost)."""
    from redis.asyncio import Redis

    from chat_api.generations.redis_log import RedisEventLog

    shared = {"AUTH_SECRET": SECRET, "DATABASE_URL": await postgres.new(), "REDIS_URL": redis_url}
    with api_server(**shared) as url:
        async with signed_in(url) as ada:
            conversation_id = await conversation(ada)
            engine = create_engine(api_settings("http://unused", **shared))
            store = GenerationStore(create_sessions(engine), lease=timedelta(seconds=-1))
            turn = Turn(uuid.UUID(conversation_id), uuid.uuid4(), uuid.uuid4(), True, None, "hi", None, None, "chat")
            await store.insert(turn)
            await store.progress(turn.assistant_id, "Saved, ")
            redis = Redis.from_url(redis_url)
            owner = RedisEventLog(redis, keep_after_end_s=60)  # the dead owner's log, as it left Redis
            for text in ("Saved, ", "and seen ", "but not saved."):
                await owner.append(str(turn.assistant_id), [TextDelta(text)])
            await owner.aclose()
            await redis.aclose()
            await engine.dispose()
            for _ in range(60):
                saved = (await messages(ada, conversation_id))[1]
                if saved["status"] == "interrupted" and saved["content"] != "Saved, ":
                    break
                await asyncio.sleep(0.1)
    assert saved["status"] == "interrupted" and saved["content"] == "Saved, and seen but not saved."


@pytest.mark.parametrize(
    ("outage_s", "reader_goes_to_the_database"),
    [(1.0, False), (4.5, True)],  # a blip, and longer than a reader waits (GIVE_UP_AFTER_S)
)
async def test_redis_restarting_mid_answer_loses_nothing(
    api_server: ApiFactory, postgres: Any, outage_s: float, reader_goes_to_the_database: bool
) -> None:
    """Redis restarts empty while A writes an answer that a reader follows on B. The owner writes the whole
    answer again once Redis is back: after a blip the reader gets exactly what it missed; after a longer
    outage it reads the answer from the database. Either way it ends with every word, and so does a reader
    who comes later."""
    with restartable_redis() as redis:
        shared = {"AUTH_SECRET": SECRET, "DATABASE_URL": await postgres.new(), "REDIS_URL": redis.url}
        with api_server(**shared) as url_a, api_server(**shared) as url_b:
            async with signed_in(url_a) as on_a, httpx.AsyncClient(base_url=url_b, headers=on_a.headers) as on_b:
                conversation_id = await conversation(on_a)
                content, _ = tagged("through a restart", "ttft_ms=0 token_ms=25 tokens=320")
                first: list[ServerSentEvent] = []
                async with aconnect_sse(
                    on_a, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
                ) as source:
                    async for event in source.aiter_sse():
                        first.append(event)
                        if len(first) == 4:
                            break
                answer = first[0].json()["assistant_message_id"]
                shown, names = text_of(first), []
                async with aconnect_sse(
                    on_b, "GET", f"/api/generations/{answer}/events", headers={"Last-Event-ID": first[-1].id}
                ) as source:
                    async for event in source.aiter_sse():
                        names.append(event.event)
                        if event.event == "delta":
                            shown += event.json()["text"]
                        elif event.event == "snapshot":
                            shown = event.json()["content"]
                        if len(names) == 5:
                            await asyncio.to_thread(redis.stop)
                            await asyncio.sleep(outage_s)
                            await asyncio.to_thread(redis.start)
                saved = (await messages(on_a, conversation_id))[1]
                later = frames(await on_b.get(f"/api/generations/{answer}/events"))
    assert saved["status"] == "done" and len(saved["content"]) > 1000
    assert shown == saved["content"]
    assert names[-1] == "done"
    assert ("snapshot" in names) is reader_goes_to_the_database
    assert text_of(later) == saved["content"]  # Redis has the whole answer again


async def test_a_server_shutting_down_lets_its_readers_go_and_finishes_its_answers(
    emulator_url: str, api_server: ApiFactory, postgres: Any, redis_url: str
) -> None:
    """A rolling restart: the owner's reader is let go at once (no terminal event), follows the rest on
    another process from its last id, and the owner, draining, finishes the answer."""
    from emulator.testing import serve

    from chat_api.main import create_app
    from chat_api.server.uvicorn_server import ChatServer

    shared = {"AUTH_SECRET": SECRET, "DATABASE_URL": await postgres.new(), "REDIS_URL": redis_url}
    settings = api_settings(emulator_url, GRACEFUL_TIMEOUT_S=10, **shared)
    with contextlib.ExitStack() as owner_server, api_server(**shared) as url_b:
        url_a = owner_server.enter_context(serve(create_app(settings), graceful_s=7, server_class=ChatServer))
        async with signed_in(url_a) as on_a, httpx.AsyncClient(base_url=url_b, headers=on_a.headers) as on_b:
            conversation_id = await conversation(on_a)
            content, _ = tagged("drain me", "ttft_ms=0 token_ms=25 tokens=100")
            seen: list[ServerSentEvent] = []
            stopping: asyncio.Future[None] | None = None
            async with aconnect_sse(
                on_a, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
            ) as source:
                async for event in source.aiter_sse():
                    seen.append(event)
                    if len(seen) == 5:
                        let_go_from = time.perf_counter()
                        stopping = asyncio.ensure_future(asyncio.to_thread(owner_server.close))
            let_go_after = time.perf_counter() - let_go_from
            answer = seen[0].json()["assistant_message_id"]
            rest = frames(await on_b.get(f"/api/generations/{answer}/events", headers={"Last-Event-ID": seen[-1].id}))
            assert stopping is not None
            await stopping
            saved = (await messages(on_b, conversation_id))[1]
    assert seen[-1].event == "delta" and let_go_after < 1.0  # let go at once, without a terminal event
    assert order(rest[0].id) == (0, order(seen[-1].id)[1] + 1) and rest[-1].event == "done"
    assert saved["status"] == "done" and text_of(seen) + text_of(rest) == saved["content"]


async def test_a_reader_elsewhere_waits_for_events_its_owner_has_not_written_yet(
    api_server: ApiFactory, postgres: Any, redis_url: str
) -> None:
    """The owner writes Redis behind its own readers: under load a reader on another process can ask before
    the first event is there. It waits for it (a snapshot of an empty answer would be wrong)."""
    from redis.asyncio import Redis

    from chat_api.generations.redis_log import RedisEventLog

    shared = {"AUTH_SECRET": SECRET, "DATABASE_URL": await postgres.new(), "REDIS_URL": redis_url}
    with api_server(**shared) as url:
        async with signed_in(url) as ada:
            conversation_id = await conversation(ada)
            engine = create_engine(api_settings("http://unused", **shared))
            store = GenerationStore(create_sessions(engine), lease=timedelta(seconds=30))  # a live owner
            turn = Turn(uuid.UUID(conversation_id), uuid.uuid4(), uuid.uuid4(), True, None, "hi", None, None, "chat")
            await store.insert(turn)
            redis = Redis.from_url(redis_url)
            owner = RedisEventLog(redis, keep_after_end_s=60)

            async def write_late() -> None:
                await asyncio.sleep(0.5)
                for text in ("Late, ", "but whole."):
                    await owner.append(str(turn.assistant_id), [TextDelta(text)])
                await owner.append(str(turn.assistant_id), [Finished("stop")])

            writing = asyncio.create_task(write_late())
            events = frames(await ada.get(f"/api/generations/{turn.assistant_id}/events"))
            await writing
            await owner.aclose()
            await redis.aclose()
            await engine.dispose()
    assert [event.event for event in events] == ["delta", "delta", "done"]
    assert text_of(events) == "Late, but whole."


async def test_a_redis_restart_costs_no_command() -> None:
    """After Redis restarts, the first command on each connection the pool kept met "Connection closed by
    server": a Stop sent then was lost, and a sweeper's read of a crashed owner's events came back empty, so the
    interrupted answer kept none of the words its readers had seen. The client reconnects and sends it again."""
    from chat_api.redis_connection import open_redis

    with restartable_redis() as server:
        async with open_redis(api_settings("http://unused", REDIS_URL=server.url)) as redis:
            assert redis is not None
            await redis.xadd("restart", {"n": "before"})
            server.stop()
            server.start()
            await redis.xadd("restart", {"n": "after"})
            entries = await redis.xrange("restart")
            assert [fields for _, fields in entries or []] == [{b"n": b"after"}]


async def test_a_send_that_fails_half_way_leaves_no_message_behind(api_server: ApiFactory, postgres: Any) -> None:
    """The user's message, its answer's row and the conversation moved to them are one commit: a process that
    dies between them (here the conversation's update fails, as a crash there would end it) leaves none of
    them, never a user message without its answer (which the next send would also stack on)."""
    from sqlalchemy import func, select, text

    from chat_api.storage.models import Message

    shared = {"AUTH_SECRET": SECRET, "DATABASE_URL": await postgres.new()}
    with api_server(**shared) as url:
        async with signed_in(url) as ada:
            conversation_id = await conversation(ada)
    engine = create_engine(api_settings("http://unused", **shared))
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "CREATE FUNCTION dies_here() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'the process died here'; END $$ LANGUAGE plpgsql"
                )
            )
            await connection.execute(
                text(
                    "CREATE TRIGGER dies_here BEFORE UPDATE ON conversations FOR EACH ROW EXECUTE FUNCTION dies_here()"
                )
            )
        store = GenerationStore(create_sessions(engine), lease=timedelta(seconds=30))
        turn = Turn(uuid.UUID(conversation_id), uuid.uuid4(), uuid.uuid4(), True, None, "hi", None, None, "chat")
        with pytest.raises(Exception, match="the process died here"):
            await store.insert(turn)
        async with create_sessions(engine)() as session:
            left = await session.scalar(
                select(func.count()).select_from(Message).where(Message.conversation_id == turn.conversation_id)
            )
    finally:
        await engine.dispose()
    assert left == 0
