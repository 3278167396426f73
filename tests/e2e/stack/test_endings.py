"""How an answer ends when the model is slow to start or stops without finishing, through nginx (issue 28,
as llama.cpp's servers and reasoning models behave): `start` goes out as soon as the message is accepted, a
first token slower than the lease is not called interrupted, Stop before the first token ends `stopped`, and
a stream without a finish reason ends with an error and keeps its text."""

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from httpx_sse import EventSource, ServerSentEvent, connect_sse

from . import report
from .support import BASE_URL, UPSTREAM_TIMEOUT_S, assert_no_leak, needs_compose, new_tag, upstream_end

pytestmark = needs_compose

LEASE_S = 5  # GENERATION_LEASE_S in scripts/e2e.sh; the sweeper looks every 2 s
FIRST_TOKEN_S = 7.0  # past the lease and a sweep: the old owner, renewing from the first token, was swept by then
INCOMPLETE = {"code": "upstream_incomplete", "message": "The model's answer ended without finishing. Retry."}


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(base_url=BASE_URL, timeout=UPSTREAM_TIMEOUT_S + 30) as client:
        session = client.post("/api/auth/guest")
        assert session.status_code == 201, session.text
        client.headers["Authorization"] = f"Bearer {session.json()['access_token']}"
        yield client


def ask(text: str, directive: str) -> tuple[str, str]:
    tag = new_tag()
    return f"{text}\n@emulator {directive} tag={tag}", tag


def conversation(http: httpx.Client) -> str:
    created: str = http.post("/api/conversations", json={}).json()["id"]
    return created


def saved_answer(http: httpx.Client, conversation_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = http.get(f"/api/conversations/{conversation_id}").json()["messages"]["items"][-1]
    return answer


def text_of(events: list[ServerSentEvent]) -> str:
    return "".join(event.json()["text"] for event in events if event.event == "delta")


def test_a_first_token_slower_than_the_lease_is_not_interrupted(http: httpx.Client) -> None:
    assert UPSTREAM_TIMEOUT_S > FIRST_TOKEN_S + 1, "the stack's UPSTREAM_TIMEOUT_S must outlast this first token"
    conversation_id = conversation(http)
    content, _ = ask("Think it over", f"ttft_ms={FIRST_TOKEN_S * 1000:.0f} token_ms=5 tokens=12")
    path = f"/api/conversations/{conversation_id}/messages"
    sent = time.monotonic()
    events: list[ServerSentEvent] = []
    first_delta_after: float | None = None
    with connect_sse(http, "POST", path, json={"content": content}) as source:
        for event in source.iter_sse():
            events.append(event)
            if event.event == "delta" and first_delta_after is None:
                first_delta_after = time.monotonic() - sent
            if len(events) == 1:
                start_after = time.monotonic() - sent
                time.sleep(max(0.0, sent + LEASE_S + 1.5 - time.monotonic()))  # past the lease and a sweep
                meanwhile = http.post(path, json={"content": ask("Me too", "tokens=3")[0]})
                assert meanwhile.status_code == 409, meanwhile.text[:300]
                assert meanwhile.json()["error"]["code"] == "conflict"
                assert saved_answer(http, conversation_id)["status"] == "streaming"
    assert events[0].event == "start" and start_after < 1.0, f"start after {start_after:.2f}s"
    assert first_delta_after is not None and first_delta_after >= FIRST_TOKEN_S
    assert [event.event for event in events if event.event != "delta"] == ["start", "usage", "done"]
    saved = saved_answer(http, conversation_id)
    assert saved["status"] == "done" and saved["content"] == text_of(events) and saved["error"] is None
    report.record(
        "slow_first_token",
        {
            "lease_s": LEASE_S,
            "first_token_s": round(first_delta_after, 2),
            "start_after_ms": round(start_after * 1000, 1),
            "second_send_meanwhile": meanwhile.status_code,
            "saved": saved["status"],
        },
    )


def test_stop_before_the_first_token_ends_stopped(http: httpx.Client) -> None:
    conversation_id = conversation(http)
    content, tag = ask("Never mind", "ttft_ms=5000 token_ms=5 tokens=20")
    events: list[ServerSentEvent] = []
    with connect_sse(
        http, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
    ) as source:
        for event in source.iter_sse():
            events.append(event)
            if event.event == "start":
                stopped_at = time.time()
                stop = http.post(f"/api/generations/{event.json()['assistant_message_id']}/stop")
                assert stop.status_code == 202, stop.text[:300]
    assert [event.event for event in events] == ["start", "done"]
    assert events[-1].json() == {"finish_reason": "cancelled"}
    ended = upstream_end(tag)
    assert ended["outcome"] == "disconnected" and ended["tokens_sent"] == 0
    closed_after = ended["disconnected_at"] - stopped_at
    assert closed_after < 0.5, f"the upstream was closed {closed_after * 1000:.0f} ms after Stop"
    report.record("stop_before_first_token", {"upstream_closed_after_ms": round(closed_after * 1000, 1)})
    saved = saved_answer(http, conversation_id)
    assert (saved["status"], saved["content"], saved["finish_reason"]) == ("stopped", "", "cancelled")


def test_a_stream_cut_without_a_finish_reason_ends_with_an_error_and_keeps_its_text(http: httpx.Client) -> None:
    conversation_id = conversation(http)
    content, _ = ask("Cut me short", "ttft_ms=0 token_ms=5 fault=no_finish after=5")
    response = http.post(f"/api/conversations/{conversation_id}/messages", json={"content": content})
    assert response.status_code == 200
    events = list(EventSource(response).iter_sse())
    assert [event.event for event in events] == ["start", *["delta"] * 5, "error"]
    assert events[-1].json() == INCOMPLETE
    assert_no_leak(response.text)
    saved = saved_answer(http, conversation_id)
    assert saved["status"] == "error" and saved["error"] == INCOMPLETE
    assert saved["content"] == text_of(events) and saved["content"]


def test_an_empty_answer_is_an_error_on_every_route(http: httpx.Client) -> None:
    conversation_id = conversation(http)
    content, _ = ask("Nothing back", "ttft_ms=0 fault=empty")
    response = http.post(f"/api/conversations/{conversation_id}/messages", json={"content": content})
    events = list(EventSource(response).iter_sse())
    assert [event.event for event in events] == ["start", "error"] and events[-1].json() == INCOMPLETE
    saved = saved_answer(http, conversation_id)
    assert (saved["status"], saved["content"]) == ("error", "")
    # The stateless route sends nothing before the first token: a real status.
    stateless = http.post("/api/chat/events", json={"message": ask("Nothing back", "ttft_ms=0 fault=empty")[0]})
    assert stateless.status_code == 502 and stateless.json() == {"error": INCOMPLETE}
