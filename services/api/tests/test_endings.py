"""How an answer in a conversation ends when the model is slow to start or stops without finishing (issue 28,
as llama.cpp's servers and reasoning models behave): `start` at once, a lease that lives as long as its owner,
Stop before the first token, and a stream without a finish reason told as an error with its text kept."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from emulator.app import Emulator
from httpx_sse import ServerSentEvent, aconnect_sse

from .conftest import PROMPTLY_S, ApiFactory, upstream_ended

LEASE_S = 2  # the sweeper runs every 2 s: an owner that did not renew would be interrupted within about 4 s


@pytest.fixture(scope="module")
async def url(api_server: ApiFactory, shared_store: dict[str, str]) -> AsyncIterator[str]:
    with api_server(
        GENERATION_LEASE_S=LEASE_S,
        UPSTREAM_TIMEOUT_S=30.0,  # the slow first tokens here are slow, not silent
        GUEST_CONCURRENT_STREAMS=50,
        GUEST_REQUESTS_PER_MINUTE=500,
        **shared_store,
    ) as served:
        yield served


def tagged(text: str, directive: str) -> tuple[str, str]:
    tag = uuid.uuid4().hex
    return f"{text}\n@emulator {directive} tag={tag}", tag


async def conversation(http: httpx.AsyncClient) -> str:
    created: str = (await http.post("/api/conversations", json={})).json()["id"]
    return created


async def answer_of(http: httpx.AsyncClient, conversation_id: str) -> dict[str, Any]:
    items: list[dict[str, Any]] = (await http.get(f"/api/conversations/{conversation_id}")).json()["messages"]["items"]
    return items[1]


def text_of(events: list[ServerSentEvent]) -> str:
    return "".join(event.json()["text"] for event in events if event.event == "delta")


async def followed(http: httpx.AsyncClient, conversation_id: str, content: str) -> list[tuple[float, ServerSentEvent]]:
    """Send, and every event of the answer with the seconds since the POST was sent."""
    sent = time.perf_counter()
    seen: list[tuple[float, ServerSentEvent]] = []
    path = f"/api/conversations/{conversation_id}/messages"
    async with aconnect_sse(http, "POST", path, json={"content": content}) as source:
        async for event in source.aiter_sse():
            seen.append((time.perf_counter() - sent, event))
    return seen


async def test_a_stream_that_ends_without_a_finish_reason_is_an_error_with_its_text(ada: httpx.AsyncClient) -> None:
    conversation_id = await conversation(ada)
    events = [event for _, event in await followed(ada, conversation_id, tagged("cut", "fault=no_finish after=4")[0])]
    assert [event.event for event in events] == ["start", "delta", "delta", "delta", "delta", "error"]
    assert events[-1].json() == {
        "code": "upstream_incomplete",
        "message": "The model's answer ended without finishing. Retry.",
    }
    saved = await answer_of(ada, conversation_id)
    assert saved["status"] == "error" and saved["error"]["code"] == "upstream_incomplete"
    assert saved["content"] == text_of(events) and saved["content"]
    assert saved["finish_reason"] is None


async def test_an_empty_answer_is_an_error_not_a_finished_answer(ada: httpx.AsyncClient) -> None:
    conversation_id = await conversation(ada)
    events = [event for _, event in await followed(ada, conversation_id, tagged("empty", "fault=empty")[0])]
    assert [event.event for event in events] == ["start", "error"]
    assert events[-1].json()["code"] == "upstream_incomplete"
    saved = await answer_of(ada, conversation_id)
    assert (saved["status"], saved["content"], saved["error"]["code"]) == ("error", "", "upstream_incomplete")


async def test_start_comes_as_soon_as_the_message_is_accepted(ada: httpx.AsyncClient) -> None:
    conversation_id = await conversation(ada)
    seen = await followed(ada, conversation_id, tagged("slow", "ttft_ms=2000 token_ms=0 tokens=5")[0])
    (start_s, start), first_delta_s = seen[0], next(at for at, event in seen if event.event == "delta")
    assert start.event == "start" and start.json()["assistant_message_id"]
    assert start_s < 0.5, f"start after {start_s * 1000:.0f} ms"  # (8 to 100 ms measured, as for an instant model)
    assert first_delta_s >= 2.0 and seen[-1][1].event == "done"


async def test_a_first_token_slower_than_the_lease_is_not_interrupted(ada: httpx.AsyncClient) -> None:
    """The owner renews its lease from the first moment, not from the first token: a second send meanwhile
    finds the conversation busy (409), and the answer ends `done`, with no word of an interruption."""
    conversation_id = await conversation(ada)
    content, _ = tagged("think first", f"ttft_ms={(LEASE_S + 3) * 1000} token_ms=0 tokens=6")
    sending = asyncio.create_task(followed(ada, conversation_id, content))
    await asyncio.sleep(LEASE_S + 2.5)  # past the lease and a sweep, before the first token
    meanwhile = await ada.post(
        f"/api/conversations/{conversation_id}/messages", json={"content": tagged("me too", "tokens=3")[0]}
    )
    assert meanwhile.status_code == 409 and meanwhile.json()["error"]["code"] == "conflict"
    assert (await answer_of(ada, conversation_id))["status"] == "streaming"
    events = [event for _, event in await sending]
    assert [event.event for event in events if event.event != "delta"] == ["start", "usage", "done"]
    saved = await answer_of(ada, conversation_id)
    assert saved["status"] == "done" and saved["content"] == text_of(events) and saved["error"] is None


async def test_stop_before_the_first_token_ends_stopped(ada: httpx.AsyncClient, emulator: Emulator) -> None:
    conversation_id = await conversation(ada)
    content, tag = tagged("never mind", "ttft_ms=3000 token_ms=0 tokens=20")
    received: list[ServerSentEvent] = []
    path = f"/api/conversations/{conversation_id}/messages"
    async with aconnect_sse(ada, "POST", path, json={"content": content}) as source:
        async for event in source.aiter_sse():
            received.append(event)
            if event.event == "start":
                stopped_at = time.time()
                stop = await ada.post(f"/api/generations/{event.json()['assistant_message_id']}/stop")
                assert stop.status_code == 202
    assert [event.event for event in received] == ["start", "done"]
    assert received[-1].json() == {"finish_reason": "cancelled"}
    record = await upstream_ended(emulator, tag)
    assert record.disconnected and record.disconnected_at is not None and record.tokens_sent == 0
    assert record.disconnected_at - stopped_at < PROMPTLY_S
    saved = await answer_of(ada, conversation_id)
    assert (saved["status"], saved["content"], saved["finish_reason"]) == ("stopped", "", "cancelled")
