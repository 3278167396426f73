"""What the model takes and holds. A reasoning deployment (Azure's o-series, the gpt-5 family) is sent
`max_completion_tokens` and a reasoning effort, never `max_tokens`, `temperature` or `top_p`, and its reasoning
tokens show in usage and count against the budget. The context window is learnt from the server where it says
(llama.cpp, vLLM, Ollama); and a prompt a server refuses as too long is fitted to its window and sent once more.

Each test serves an emulator of its own, configured as the server it stands for."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
from emulator.app import Emulator
from emulator.app import create_app as create_emulator
from emulator.models import REASONING_TOKENS
from emulator.settings import Settings as EmulatorSettings
from emulator.testing import serve

from chat_api.main import create_app
from chat_api.settings import CONTEXT_WINDOW_FALLBACK

from .conftest import API_KEY, api_settings, chat, signed_in, sse_events

REASONER = "o4-mini"


@contextmanager
def emulator_serving(**settings: Any) -> Iterator[tuple[str, Emulator]]:
    app = create_emulator(EmulatorSettings(api_key=API_KEY, ttft_ms=0, token_ms=0, log_level="WARNING", **settings))
    with serve(app) as url:
        yield url, app.state.emulator


def provider_settings(provider: str, url: str, model: str) -> dict[str, Any]:
    if provider == "azure":
        return {"AZURE_OPENAI_DEPLOYMENT": model}
    return {
        "MODEL_PROVIDER": "openai",
        "OPENAI_BASE_URL": f"{url}/v1",
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_MODEL": model,
    }


@asynccontextmanager
async def api_on(url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    with serve(create_app(api_settings(url, **overrides))) as api_url:
        async with signed_in(api_url) as http:
            yield http


@pytest.fixture(scope="module")
def reasoning_emulator() -> Iterator[tuple[str, Emulator]]:
    with emulator_serving(reasoning_deployments=REASONER) as served:
        yield served


# --- reasoning deployments ------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["azure", "openai"])
async def test_a_reasoning_deployment_gets_max_completion_tokens_and_reports_its_reasoning(
    reasoning_emulator: tuple[str, Emulator], provider: str
) -> None:
    url, emulator = reasoning_emulator
    settings = {**provider_settings(provider, url, REASONER), "MODEL_REASONING": True, "REASONING_EFFORT": "low"}
    async with api_on(url, **settings) as http:
        body, tag = chat("tokens=5", options={"max_tokens": 300, "reasoning_effort": "high"})
        events = sse_events(await http.post("/api/chat/events", json=body))
        default_body, default_tag = chat("tokens=5")
        assert (await http.post("/api/chat/events", json=default_body)).status_code == 200
    assert [name for name, _ in events] == ["start", *["delta"] * 5, "usage", "done"]
    usage = dict(events)["usage"]
    assert usage["reasoning_tokens"] == REASONING_TOKENS["high"]
    assert usage["completion_tokens"] == 5 + REASONING_TOKENS["high"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    (record,) = emulator.log.recent(tag)
    assert record.status == 200
    assert {key: value for key, value in record.options.items() if key != "stream_options"} == {
        "max_completion_tokens": 300,
        "reasoning_effort": "high",
        "stream": True,
    }
    (default,) = emulator.log.recent(default_tag)
    assert default.options["reasoning_effort"] == "low" and "max_tokens" not in default.options


async def test_a_reasoning_deployment_without_the_setting_fails_as_azure_says(
    reasoning_emulator: tuple[str, Emulator],
) -> None:
    """What the old code did with such a deployment: Azure's 400 for max_tokens (here: an upstream error)."""
    url, emulator = reasoning_emulator
    async with api_on(url, AZURE_OPENAI_DEPLOYMENT=REASONER) as http:
        body, tag = chat("tokens=5")
        response = await http.post("/api/chat/events", json=body)
    assert response.status_code == 502
    (record,) = emulator.log.recent(tag)
    assert record.status == 400 and "max_tokens" in record.options


@pytest.mark.parametrize("option", [{"temperature": 0.2}, {"top_p": 0.5}])
async def test_a_reasoning_deployment_refuses_sampling_options_before_any_upstream_call(
    reasoning_emulator: tuple[str, Emulator], option: dict[str, float]
) -> None:
    url, emulator = reasoning_emulator
    async with api_on(url, AZURE_OPENAI_DEPLOYMENT=REASONER, MODEL_REASONING=True) as http:
        body, tag = chat("tokens=5", options=option)
        response = await http.post("/api/chat/events", json=body)
        conversation = (await http.post("/api/conversations", json={})).json()["id"]
        in_conversation = await http.post(
            f"/api/conversations/{conversation}/messages", json={"content": "Hi", "options": option}
        )
    (name,) = option
    for refused in (response, in_conversation):
        assert refused.status_code == 422
        error = refused.json()["error"]
        assert error["code"] == "invalid_request"
        assert error["message"].startswith(f"options.{name}:") and "reasoning_effort" in error["message"]
    assert emulator.log.recent(tag) == []


async def test_a_model_that_does_not_reason_is_sent_what_it_was_and_refuses_an_effort(
    reasoning_emulator: tuple[str, Emulator],
) -> None:
    url, emulator = reasoning_emulator
    async with api_on(url) as http:
        body, tag = chat("tokens=4", options={"max_tokens": 50, "temperature": 0.3, "top_p": 0.9})
        events = sse_events(await http.post("/api/chat/events", json=body))
        effort, _ = chat("tokens=4", options={"reasoning_effort": "low"})
        refused = await http.post("/api/chat/events", json=effort)
        models = (await http.get("/api/models")).json()["models"]
    assert dict(events)["usage"]["reasoning_tokens"] == 0
    (record,) = emulator.log.recent(tag)
    assert {key: record.options[key] for key in ("max_tokens", "temperature", "top_p")} == {
        "max_tokens": 50,
        "temperature": 0.3,
        "top_p": 0.9,
    }
    assert "max_completion_tokens" not in record.options and "reasoning_effort" not in record.options
    assert refused.status_code == 422 and refused.json()["error"]["message"].startswith("options.reasoning_effort:")
    assert models[0]["reasoning"] is False and models[0]["options"] == ["max_tokens", "temperature", "top_p"]


async def test_models_says_what_a_reasoning_deployment_takes(reasoning_emulator: tuple[str, Emulator]) -> None:
    url, _ = reasoning_emulator
    async with api_on(url, AZURE_OPENAI_DEPLOYMENT=REASONER, MODEL_REASONING=True, REASONING_EFFORT="high") as http:
        (model,) = (await http.get("/api/models")).json()["models"]
        async with httpx.AsyncClient(base_url=str(http.base_url)) as nobody:
            anonymous = await nobody.get("/api/models")
    assert model == {
        "id": REASONER,
        "label": REASONER,
        "default": True,
        "provider": "azure",
        "reasoning": True,
        "options": ["max_tokens", "reasoning_effort"],
        "reasoning_efforts": ["low", "medium", "high"],
        "default_reasoning_effort": "high",
        "context_window": CONTEXT_WINDOW_FALLBACK,
        "max_output_tokens": 4096,
        "default_max_tokens": 1024,
        "vision": True,
        "tools": True,
    }
    assert anonymous.status_code == 401


async def test_reasoning_tokens_are_charged_to_the_budget(
    reasoning_emulator: tuple[str, Emulator], postgres: Any, redis_url: str
) -> None:
    url, _ = reasoning_emulator
    store = {"DATABASE_URL": await postgres.new(), "REDIS_URL": redis_url}
    async with api_on(url, AZURE_OPENAI_DEPLOYMENT=REASONER, MODEL_REASONING=True, **store) as http:
        before = (await http.get("/api/me/usage")).json()["tokens_per_day"]["used"]
        body, _ = chat("tokens=3", options={"reasoning_effort": "high"})
        usage = dict(sse_events(await http.post("/api/chat/events", json=body)))["usage"]
        after = (await http.get("/api/me/usage")).json()["tokens_per_day"]["used"]
    assert usage["reasoning_tokens"] == REASONING_TOKENS["high"]
    assert after - before == usage["prompt_tokens"] + 3 + REASONING_TOKENS["high"]


# --- the context window -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("server", ["vllm", "llama.cpp", "ollama"])
async def test_the_window_is_learnt_from_the_server_where_it_says(server: str) -> None:
    with emulator_serving(imitates=server, context_window=4096) as (url, _):
        async with api_on(url, **provider_settings("openai", url, "chat")) as http:
            (model,) = (await http.get("/api/models")).json()["models"]
            configured = api_settings(url, CONTEXT_WINDOW_TOKENS=8192, **provider_settings("openai", url, "chat"))
            with serve(create_app(configured)) as configured_url:
                async with signed_in(configured_url) as other:
                    (set_by_hand,) = (await other.get("/api/models")).json()["models"]
    assert model["context_window"] == 4096
    assert set_by_hand["context_window"] == 8192


async def test_a_server_that_does_not_say_gets_the_fallback(reasoning_emulator: tuple[str, Emulator]) -> None:
    url, _ = reasoning_emulator  # imitating Azure: /props, /v1/models and /api/show are 404
    async with api_on(url, **provider_settings("openai", url, "chat")) as http:
        (model,) = (await http.get("/api/models")).json()["models"]
    assert model["context_window"] == CONTEXT_WINDOW_FALLBACK


def long_history(turns: int, words: int = 200) -> list[dict[str, str]]:
    """About `words` tokens a message (the emulator's count)."""
    roles = ("user", "assistant")
    return [{"role": roles[index % 2], "content": f"turn {index}: " + "word " * words} for index in range(turns)]


@pytest.mark.parametrize("server", ["azure", "vllm", "llama.cpp"])
async def test_a_prompt_refused_as_too_long_is_fitted_and_sent_once_more(server: str) -> None:
    """The api believes the window is far larger than the server's: the server refuses, in its own words, and
    the api sends the newest turns that fit the window the refusal names; later requests fit it at once."""
    with emulator_serving(imitates=server, context_window=2048) as (url, emulator):
        provider = "azure" if server == "azure" else "openai"
        settings = {**provider_settings(provider, url, "chat"), "CONTEXT_WINDOW_TOKENS": 100_000}
        async with api_on(url, **settings) as http:
            body, tag = chat("tokens=5", history=long_history(24, words=100))
            events = sse_events(await http.post("/api/chat/events", json=body))
            again, again_tag = chat("tokens=5", history=long_history(24, words=100))
            second = await http.post("/api/chat/events", json=again)
    assert [name for name, _ in events][-2:] == ["usage", "done"], events
    refused, fitted = emulator.log.recent(tag)
    assert (refused.status, fitted.status) == (400, 200)
    assert refused.messages == 26  # system prompt, 24 turns, the message
    assert fitted.messages is not None and 2 < fitted.messages < refused.messages
    assert second.status_code == 200
    (direct,) = emulator.log.recent(again_tag)  # the window the refusal named is remembered
    assert direct.status == 200 and direct.messages == fitted.messages


async def test_a_prompt_still_too_long_after_fitting_is_refused_once(reasoning_emulator: tuple[str, Emulator]) -> None:
    with emulator_serving(context_window=1024) as (url, emulator):
        async with api_on(url, CONTEXT_WINDOW_TOKENS=100_000, MAX_MESSAGE_CHARS=8000, MAX_BODY_BYTES=50_000) as http:
            body, tag = chat("tokens=5", message="word " * 1500)
            response = await http.post("/api/chat/events", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    assert [record.status for record in emulator.log.recent(tag)] == [400, 400]


async def test_a_reasoning_deployments_summaries_take_max_completion_tokens(
    reasoning_emulator: tuple[str, Emulator],
) -> None:
    """Memory's summary requests (made after an answer, as a conversation nears the window) go to the same
    model: they too must not carry max_tokens."""
    url, emulator = reasoning_emulator
    settings = {"CONTEXT_WINDOW_TOKENS": 1024, "SUMMARY_MAX_TOKENS": 100}
    async with api_on(url, AZURE_OPENAI_DEPLOYMENT=REASONER, MODEL_REASONING=True, **settings) as http:
        conversation = (await http.post("/api/conversations", json={})).json()["id"]
        for number in range(12):
            tag = uuid.uuid4().hex
            content = f"Question {number} about the old harbour and its keepers\n@emulator tokens=40 tag={tag}"
            response = await http.post(f"/api/conversations/{conversation}/messages", json={"content": content})
            assert response.status_code == 200, response.text
            assert sse_events(response)[-1][0] == "done"
            if any(record.summary for record in emulator.log.recent()):
                break
        for _ in range(100):  # the summary runs after the answer, in the background
            summaries = [record for record in emulator.log.recent() if record.summary]
            if summaries and summaries[-1].ended_at is not None:
                break
            await asyncio.sleep(0.05)
    summaries = [record for record in emulator.log.recent() if record.summary and record.deployment == REASONER]
    assert summaries and all(record.status == 200 for record in summaries)
    assert summaries[-1].options["max_completion_tokens"] == 100 and "max_tokens" not in summaries[-1].options
