"""Postgres restarting, or out of reach, while answers stream: the answers go on streaming, their saves wait
for the database and then save every word and their end, new sends are refused with 503
`database_unavailable` and `Retry-After` (never a 500), and everything works again once it is back."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from httpx_sse import ServerSentEvent, aconnect_sse

from chat_api.generations.store import GenerationStore, Outcome, Turn
from chat_api.storage.engine import create_engine, create_sessions
from chat_api.storage.models import MessageStatus

from .conftest import ApiFactory, api_settings, signed_in
from .postgres import Databases, PrivateCluster, restartable_cluster
from .test_generations import SECRET, conversation, frames, messages, send, tagged, text_of

OUTAGE_S = 5.0  # longer than the old code retried an answer's end (3 attempts over 3 s), shorter than a restart


@pytest.fixture
async def cluster() -> AsyncIterator[PrivateCluster]:
    """A Postgres of the test's own, to stop and start again (the session's cluster serves other tests)."""
    with restartable_cluster() as own:
        yield own


@asynccontextmanager
async def served(
    api_server: ApiFactory, cluster: PrivateCluster, redis_url: str, database: str | None = None
) -> AsyncIterator[str]:
    database = database or await Databases(cluster.url).new()
    # A short lease: an outage outlives it, so a sweeper that did not wait for the owners would take their
    # answers for dead once the database is back.
    with api_server(
        AUTH_SECRET=SECRET, DATABASE_URL=database, REDIS_URL=redis_url, GENERATION_LEASE_S=2,
        GUEST_CONCURRENT_STREAMS=10, GUEST_REQUESTS_PER_MINUTE=100,
    ) as url:  # fmt: skip
        yield url


async def read_all(http: httpx.AsyncClient, conversation_id: str, content: str, first: asyncio.Event) -> list[Any]:
    """An answer's events as its sender reads them, to the end; `first` is set at its first delta."""
    events: list[ServerSentEvent] = []
    async with aconnect_sse(
        http, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
    ) as source:
        assert source.response.status_code == 200
        async for event in source.aiter_sse():
            events.append(event)
            if event.event == "delta":
                first.set()
    return events


async def test_answers_streaming_through_a_postgres_restart_lose_nothing(
    api_server: ApiFactory, cluster: PrivateCluster, redis_url: str
) -> None:
    """Two answers stream while Postgres stops for 5 s and starts again: one ends while it is away (its end is
    saved once it is back), one outlives the outage (it is not taken for dead when every lease has lapsed).
    Both end `done` for their readers with every word they streamed saved; a send meanwhile gets 503
    `database_unavailable` with Retry-After; sends work again once it is back."""
    async with served(api_server, cluster, redis_url) as url, signed_in(url) as ada:
        short_in, long_in, later_in = [await conversation(ada) for _ in range(3)]
        short_started, long_started = asyncio.Event(), asyncio.Event()
        short = asyncio.create_task(
            read_all(ada, short_in, tagged("ends while away", "ttft_ms=0 token_ms=20 tokens=100")[0], short_started)
        )
        long = asyncio.create_task(
            read_all(ada, long_in, tagged("outlives it", "ttft_ms=0 token_ms=25 tokens=400")[0], long_started)
        )
        await asyncio.wait_for(asyncio.gather(short_started.wait(), long_started.wait()), 10)
        await asyncio.sleep(0.5)  # a save or two of each
        await asyncio.to_thread(cluster.stop)
        while_away = await send(ada, later_in, tagged("while away", "tokens=3")[0])
        listed_while_away = await ada.get("/api/conversations")
        await asyncio.sleep(OUTAGE_S)
        await asyncio.to_thread(cluster.start)
        short_events, long_events = await asyncio.wait_for(asyncio.gather(short, long), 60)
        saved_short, saved_long = (await messages(ada, short_in))[1], (await messages(ada, long_in))[1]
        after = await send(ada, later_in, tagged("after", "tokens=3")[0])

    assert while_away.status_code == 503, while_away.text
    assert while_away.json()["error"]["code"] == "database_unavailable"
    assert while_away.headers["retry-after"] == "2"
    assert listed_while_away.status_code == 503 and listed_while_away.json()["error"]["code"] == "database_unavailable"
    for events, saved in ((short_events, saved_short), (long_events, saved_long)):
        assert events[-1].event == "done", [event.event for event in events[-3:]]
        assert saved["status"] == "done" and saved["finish_reason"] == "stop"
        assert saved["content"] == text_of(events) and saved["usage"]["completion_tokens"] > 0
    assert after.status_code == 200 and frames(after)[-1].event == "done"


async def test_a_reader_resuming_while_postgres_is_away_gets_the_answer_from_the_log_or_a_503(
    api_server: ApiFactory, cluster: PrivateCluster, redis_url: str
) -> None:
    """A reader that reconnects while the database is away: its owner's process serves the answer from its
    log (the owner is known there); an answer it does not know is a 503 with Retry-After, never a 500."""
    async with served(api_server, cluster, redis_url) as url, signed_in(url) as ada:
        conversation_id = await conversation(ada)
        first = asyncio.Event()
        content = tagged("resume me", "ttft_ms=0 token_ms=25 tokens=200")[0]
        reading = asyncio.create_task(read_all(ada, conversation_id, content, first))
        await asyncio.wait_for(first.wait(), 10)
        answer = (await messages(ada, conversation_id))[1]["id"]
        await asyncio.to_thread(cluster.stop)

        async def back_in_a_while() -> None:  # the answer's end waits for it: the resumed reader too
            await asyncio.sleep(3)
            await asyncio.to_thread(cluster.start)

        back = asyncio.create_task(back_in_a_while())
        unknown = await ada.get("/api/generations/00000000-0000-4000-8000-000000000000/events")
        resumed = await ada.get(f"/api/generations/{answer}/events")
        await back
        whole = await asyncio.wait_for(reading, 60)
    assert resumed.status_code == 200 and text_of(frames(resumed)) == text_of(whole)
    assert frames(resumed)[-1].event == "done"
    assert unknown.status_code == 503 and unknown.json()["error"]["code"] == "database_unavailable"
    assert unknown.headers["retry-after"] == "2"


async def test_after_an_outage_the_sweeper_lets_live_owners_renew_their_leases_first(
    api_server: ApiFactory, cluster: PrivateCluster, redis_url: str
) -> None:
    """No owner can renew its lease while the database is away: once it is back, an answer whose owner lives
    (it renews every second, from 2.5 s after: reconnecting on a busy machine) must not be taken for a dead
    owner's by a sweeper that came first (it sweeps every 2 s: without waiting, always before)."""
    database = await Databases(cluster.url).new()
    engine = create_engine(api_settings("http://unused", DATABASE_URL=database))
    owner = GenerationStore(create_sessions(engine), lease=timedelta(seconds=2))
    async with served(api_server, cluster, redis_url, database) as url, signed_in(url) as ada:
        conversation_id = await conversation(ada)
        turn = Turn(uuid.UUID(conversation_id), uuid.uuid4(), uuid.uuid4(), True, None, "hi", None, None, "chat")
        await owner.insert(turn)
        await owner.progress(turn.assistant_id, "Half an ")
        await asyncio.to_thread(cluster.stop)
        await asyncio.sleep(OUTAGE_S)  # every lease lapses
        await asyncio.to_thread(cluster.start)
        await asyncio.sleep(2.5)  # the owner reconnecting, on a busy machine
        for _ in range(5):
            await owner.progress(turn.assistant_id, "Half an answer")
            await asyncio.sleep(1)
        during = (await messages(ada, conversation_id))[1]
        await owner.end(turn.assistant_id, Outcome(MessageStatus.DONE, "Half an answer, whole.", finish_reason="stop"))
        ended = (await messages(ada, conversation_id))[1]
    await engine.dispose()
    assert (during["status"], during["content"]) == ("streaming", "Half an answer")
    assert ended["status"] == "done"
