"""The core cases against both providers: the product's api (Azure OpenAI's protocol, through nginx) and the
same image with MODEL_PROVIDER=openai (the emulator's OpenAI route, /v1; tests/e2e/compose.e2e.yaml runs it
on a loopback port). An answer streams with its usage, the client leaving and Stop each close the upstream
request within 100 ms, a 429 before the first token is retried and then surfaced, a drop mid-answer is an
`error` event; and the answer a conversation saves is the one that streamed."""

import time
from collections.abc import Iterator

import httpx
import pytest
from httpx_sse import EventSource, connect_sse

from .support import BASE_URL, assert_no_leak, compose, needs_compose, new_tag, upstream_end, upstream_records

pytestmark = needs_compose

CLOSE_WITHIN_S = 0.100
EMULATOR_ROUTE = {"azure": "azure", "openai": "openai"}


def openai_api_url() -> str:
    return "http://" + compose("port", "api-openai", "8000").strip().splitlines()[0]


@pytest.fixture(scope="module", params=["azure", "openai"])
def api(request: pytest.FixtureRequest) -> Iterator[tuple[str, httpx.Client]]:
    provider: str = request.param
    base_url = BASE_URL if provider == "azure" else openai_api_url()
    with httpx.Client(base_url=base_url, timeout=30) as http:
        session = http.post("/api/auth/guest")
        assert session.status_code == 201, session.text
        http.headers["Authorization"] = f"Bearer {session.json()['access_token']}"
        yield provider, http


def ask(directive: str) -> tuple[dict[str, str], str]:
    tag = new_tag()
    return {"message": f"Provider case\n@emulator {directive} tag={tag}"}, tag


def events_of(response: httpx.Response) -> list[tuple[str, dict[str, object]]]:
    return [(event.event, event.json()) for event in EventSource(response).iter_sse()]


def test_an_answer_streams_with_its_usage(api: tuple[str, httpx.Client]) -> None:
    provider, http = api
    body, tag = ask("ttft_ms=0 token_ms=5 tokens=12")
    response = http.post("/api/chat/events", json=body)
    events = events_of(response)
    assert [name for name, _ in events] == ["start", *["delta"] * 12, "usage", "done"]
    usage = events[-2][1]
    assert usage["completion_tokens"] == 12
    (record,) = upstream_records(tag)
    assert record["route"] == EMULATOR_ROUTE[provider] and record["outcome"] == "completed"
    assert_no_leak(response.text)


def test_a_client_leaving_closes_the_upstream_within_100ms(api: tuple[str, httpx.Client]) -> None:
    _, http = api
    body, tag = ask("ttft_ms=0 token_ms=20 tokens=300")
    with connect_sse(http, "POST", "/api/chat/events", json=body) as source:
        for event in source.iter_sse():
            if event.event == "delta":
                break
    left_at = time.time()
    ended = upstream_end(tag)
    assert ended["outcome"] == "disconnected"
    assert isinstance(ended["disconnected_at"], float) and ended["disconnected_at"] - left_at < CLOSE_WITHIN_S


def test_stop_closes_the_upstream_within_100ms_and_keeps_the_partial_answer(api: tuple[str, httpx.Client]) -> None:
    _, http = api
    conversation = http.post("/api/conversations", json={}).json()["id"]
    body, tag = ask("ttft_ms=0 token_ms=20 tokens=300")
    with connect_sse(
        http, "POST", f"/api/conversations/{conversation}/messages", json={"content": body["message"]}
    ) as source:
        answer, events = None, source.iter_sse()
        for event in events:
            if event.event == "start":
                answer = event.json()["assistant_message_id"]
            if event.event == "delta":
                break
        assert answer is not None
        stopped_at = time.time()
        assert http.post(f"/api/generations/{answer}/stop").status_code == 202
        rest = [event.event for event in events]
    assert rest[-1] == "done"
    ended = upstream_end(tag)
    assert ended["outcome"] == "disconnected"
    assert isinstance(ended["disconnected_at"], float) and ended["disconnected_at"] - stopped_at < CLOSE_WITHIN_S
    saved = http.get(f"/api/conversations/{conversation}").json()["messages"]["items"][-1]
    assert saved["status"] == "stopped" and saved["content"]


def test_a_429_before_the_first_token_is_retried_then_surfaced(api: tuple[str, httpx.Client]) -> None:
    _, http = api
    body, tag = ask("fault=429 retry_after=0.05 fail_times=1 tokens=3")
    assert events_of(http.post("/api/chat/events", json=body))[-1] == ("done", {"finish_reason": "stop"})
    assert [record["status"] for record in upstream_records(tag)] == [429, 200]

    body, tag = ask("fault=429 retry_after=0.05")
    refused = http.post("/api/chat/events", json=body)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "upstream_rate_limited"
    assert refused.headers["retry-after"] == "1"
    assert len(upstream_records(tag)) == 3  # the first try and two retries


def test_a_drop_mid_answer_is_an_error_event(api: tuple[str, httpx.Client]) -> None:
    _, http = api
    body, _ = ask("ttft_ms=0 token_ms=5 fault=drop after=5")
    events = events_of(http.post("/api/chat/events", json=body))
    assert [name for name, _ in events] == ["start", *["delta"] * 5, "error"]
    assert events[-1][1]["code"] == "upstream_unavailable"
