"""The same core behaviour whichever provider serves the model: Azure OpenAI, or any server that speaks OpenAI's
API (the emulator answers both, on /openai/deployments/… and on /v1). Then what only the second meets: an
account out of credit, a server that sends no usage, a local server that is not running."""

import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from emulator.app import Emulator

from .conftest import API_KEY, PROMPTLY_S, ApiFactory, chat, signed_in, sse_events, upstream_closed_after_leaving
from .test_errors import assert_envelope

PROVIDERS: dict[str, dict[str, Any]] = {
    "azure": {},
    "openai": {"MODEL_PROVIDER": "openai", "OPENAI_API_KEY": API_KEY, "OPENAI_MODEL": "chat"},
}


def openai_settings(emulator_url: str, **overrides: Any) -> dict[str, Any]:
    return {**PROVIDERS["openai"], "OPENAI_BASE_URL": f"{emulator_url}/v1", **overrides}


@pytest.fixture(params=list(PROVIDERS))
async def served(
    request: pytest.FixtureRequest, api_server: ApiFactory, emulator_url: str
) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    provider: str = request.param
    overrides = openai_settings(emulator_url) if provider == "openai" else {}
    with api_server(**overrides) as url:
        async with signed_in(url) as http:
            yield provider, http


ROUTE_SEEN_BY_THE_MODEL = {"azure": "azure", "openai": "openai"}


async def test_an_answer_streams_with_its_usage(served: tuple[str, httpx.AsyncClient], emulator: Emulator) -> None:
    provider, http = served
    body, tag = chat("tokens=6")
    events = sse_events(await http.post("/api/chat/events", json=body))
    assert [name for name, _ in events] == ["start", *["delta"] * 6, "usage", "done"]
    assert events[0][1]["model"] == "chat"
    usage = events[-2][1]
    assert usage["completion_tokens"] == 6 and usage["prompt_tokens"] > 0
    (record,) = emulator.log.recent(tag)
    assert (record.route, record.deployment, record.status) == (ROUTE_SEEN_BY_THE_MODEL[provider], "chat", 200)


async def test_a_client_leaving_closes_the_upstream_within_100ms(
    served: tuple[str, httpx.AsyncClient], emulator: Emulator
) -> None:
    _, http = served
    assert await upstream_closed_after_leaving(http, emulator) < PROMPTLY_S


async def test_a_429_before_the_first_token_is_retried(
    served: tuple[str, httpx.AsyncClient], emulator: Emulator
) -> None:
    _, http = served
    body, tag = chat("fault=429 retry_after=0.05 fail_times=1 tokens=3")
    events = sse_events(await http.post("/api/chat/events", json=body))
    assert events[-1] == ("done", {"finish_reason": "stop"})
    assert [record.status for record in emulator.log.recent(tag)] == [429, 200]

    body, tag = chat("fault=429 retry_after=0.05")
    assert_envelope(await http.post("/api/chat/events", json=body), 429, "upstream_rate_limited", "too many requests")
    assert len(emulator.log.recent(tag)) == 3  # the first try and the two retries


async def test_a_drop_mid_stream_is_an_error_event(served: tuple[str, httpx.AsyncClient]) -> None:
    _, http = served
    body, _ = chat("fault=drop after=4")
    events = sse_events(await http.post("/api/chat/events", json=body))
    assert [name for name, _ in events] == ["start", "delta", "delta", "delta", "delta", "error"]
    assert events[-1][1]["code"] == "upstream_unavailable"


async def test_an_account_out_of_credit_is_said_plainly_and_not_retried(
    served: tuple[str, httpx.AsyncClient], emulator: Emulator
) -> None:
    _, http = served
    body, tag = chat("fault=quota")
    response = await http.post("/api/chat/events", json=body)
    assert_envelope(response, 429, "upstream_rate_limited", "quota is used up (insufficient_quota)")
    assert "retry-after" not in response.headers
    assert len(emulator.log.recent(tag)) == 1


async def test_a_server_that_sends_no_usage_still_ends_the_answer_and_usage_stays_unknown(
    served: tuple[str, httpx.AsyncClient],
) -> None:
    _, http = served
    body, _ = chat("fault=no_usage tokens=5")
    events = sse_events(await http.post("/api/chat/events", json=body))
    assert [name for name, _ in events] == ["start", *["delta"] * 5, "done"]  # no usage event, rather than zeros

    conversation = (await http.post("/api/conversations", json={})).json()["id"]
    sent = await http.post(f"/api/conversations/{conversation}/messages", json={"content": body["message"]})
    assert [name for name, _ in sse_events(sent)][-1] == "done"
    answer = (await http.get(f"/api/conversations/{conversation}")).json()["messages"]["items"][-1]
    assert answer["status"] == "done" and answer["content"]
    assert answer["usage"] is None


async def test_a_local_server_that_is_not_running_is_unavailable(api_server: ApiFactory) -> None:
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        port = bound_not_listening.getsockname()[1]
        base_url = f"http://127.0.0.1:{port}/v1"
        with api_server(**openai_settings("", OPENAI_BASE_URL=base_url, UPSTREAM_RETRY_MAX_WAIT_S=0.05)) as url:
            async with signed_in(url) as http:
                response = await http.post("/api/chat/events", json={"message": "hi"})
    assert_envelope(response, 502, "upstream_unavailable", "is it running, at the configured address?")


async def test_a_local_server_needs_no_key(api_server: ApiFactory, emulator_url: str) -> None:
    """Without OPENAI_API_KEY the SDK still sends one (local servers take any); the emulator wants its own, so
    here it says 401, which shows what went out: a request, not a start-up failure."""
    settings = openai_settings(emulator_url)
    del settings["OPENAI_API_KEY"]
    with api_server(**settings) as url:
        async with signed_in(url) as http:
            response = await http.post("/api/chat/events", json={"message": "hi"})
    assert_envelope(response, 502, "upstream_auth_failed")
