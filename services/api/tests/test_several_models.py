"""Several models per deployment (MODELS): listed with the default first; a conversation picks one (at its start,
by PATCH, or with a send, from that turn on); each answer records its model and goes to that model's deployment;
options, the context window and tools follow the model. An unknown id is a 400 that lists the ids."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from emulator.app import Emulator
from emulator.app import create_app as create_emulator
from emulator.settings import Settings as EmulatorSettings
from emulator.testing import serve
from httpx_sse import aconnect_sse
from pydantic import ValidationError

from chat_api.chat.models import open_models
from chat_api.main import create_app
from chat_api.settings import CONTEXT_WINDOW_FALLBACK, describe_error

from .conftest import API_KEY, ApiFactory, api_settings, sse_events, upstream_ended

MODELS = [
    {"id": "chat", "label": "Chat (large)"},
    {"id": "mini", "label": "Chat mini", "deployment": "chat-mini", "context_window": 2048, "tools": False},
    {"id": "thinker", "deployment": "o4-mini", "reasoning": True, "max_output_tokens": 2000},
]


@pytest.fixture(scope="module")
def models_emulator() -> Iterator[tuple[str, Emulator]]:
    """An emulator of its own: o4-mini reasons there, as on Azure."""
    settings = EmulatorSettings(
        api_key=API_KEY, ttft_ms=0, token_ms=0, log_level="WARNING", reasoning_deployments="o4-mini"
    )
    app = create_emulator(settings)
    with serve(app) as served:
        yield served, app.state.emulator


@pytest.fixture
def emulator(models_emulator: tuple[str, Emulator]) -> Emulator:
    return models_emulator[1]


@pytest.fixture(scope="module")
async def url(models_emulator: tuple[str, Emulator], shared_store: dict[str, str]) -> AsyncIterator[str]:
    settings = api_settings(models_emulator[0], MODELS=MODELS, MAX_BODY_BYTES=200_000, **shared_store)
    with serve(create_app(settings)) as served:
        yield served


async def new_conversation(http: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await http.post("/api/conversations", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def say(
    http: httpx.AsyncClient, conversation_id: str, directive: str = "tokens=3", **body: Any
) -> tuple[list[tuple[str, Any]], str]:
    tag = uuid.uuid4().hex
    content = f"Hello\n@emulator {directive} tag={tag}"
    response = await http.post(f"/api/conversations/{conversation_id}/messages", json={"content": content, **body})
    assert response.status_code == 200, response.text
    events = sse_events(response)
    assert events[-1][0] == "done", events
    return events, tag


async def answers_models(http: httpx.AsyncClient, conversation_id: str) -> list[str | None]:
    items = (await http.get(f"/api/conversations/{conversation_id}")).json()["messages"]["items"]
    return [item["model"] for item in items if item["role"] == "assistant"]


async def test_every_model_is_listed_the_default_first(ada: httpx.AsyncClient) -> None:
    models = (await ada.get("/api/models")).json()["models"]
    assert [(m["id"], m["label"], m["default"]) for m in models] == [
        ("chat", "Chat (large)", True),
        ("mini", "Chat mini", False),
        ("thinker", "thinker", False),
    ]
    chat, mini, thinker = models
    assert (chat["context_window"], mini["context_window"]) == (CONTEXT_WINDOW_FALLBACK, 2048)
    assert (chat["tools"], mini["tools"], chat["vision"]) == (True, False, False)
    assert thinker["reasoning"] and thinker["options"] == ["max_tokens", "reasoning_effort"]
    assert thinker["max_output_tokens"] == 2000 and chat["max_output_tokens"] == 4096
    assert {m["provider"] for m in models} == {"azure"}


async def test_a_conversation_on_another_model_records_it_and_reaches_its_deployment(
    ada: httpx.AsyncClient, emulator: Emulator
) -> None:
    conversation = await new_conversation(ada, model="mini")
    assert conversation["model"] == "mini"
    events, tag = await say(ada, conversation["id"])
    assert dict(events)["start"]["model"] == "mini"
    (record,) = emulator.log.recent(tag)
    assert record.deployment == "chat-mini"
    assert await answers_models(ada, conversation["id"]) == ["mini"]
    default = await new_conversation(ada)
    assert default["model"] is None
    _, default_tag = await say(ada, default["id"])
    assert emulator.log.recent(default_tag)[0].deployment == "chat"
    assert await answers_models(ada, default["id"]) == ["chat"]


async def test_switching_between_turns_applies_from_that_turn_on(ada: httpx.AsyncClient, emulator: Emulator) -> None:
    conversation_id = (await new_conversation(ada))["id"]
    await say(ada, conversation_id)
    _, switched = await say(ada, conversation_id, model="mini")  # a send picks the model for itself and on
    _, kept = await say(ada, conversation_id)
    detail = (await ada.get(f"/api/conversations/{conversation_id}")).json()
    assert detail["model"] == "mini"
    changed = await ada.patch(f"/api/conversations/{conversation_id}", json={"model": "chat"})
    assert changed.status_code == 200 and changed.json()["model"] == "chat"
    _, back = await say(ada, conversation_id)
    assert [emulator.log.recent(tag)[0].deployment for tag in (switched, kept, back)] == [
        "chat-mini",
        "chat-mini",
        "chat",
    ]
    assert await answers_models(ada, conversation_id) == ["chat", "mini", "mini", "chat"]
    answers = [m for m in detail["messages"]["items"] if m["role"] == "assistant"]
    retried = await ada.post(
        f"/api/conversations/{conversation_id}/messages/{answers[0]['id']}/retry", json={"model": "mini"}
    )
    assert retried.status_code == 200 and dict(sse_events(retried))["start"]["model"] == "mini"


async def test_switching_while_an_answer_streams_applies_to_the_next_answer(
    ada: httpx.AsyncClient, emulator: Emulator
) -> None:
    """A send is refused as ever (409) and switches nothing; a PATCH is taken, and the answer being written
    keeps its model."""
    conversation_id = (await new_conversation(ada))["id"]
    slow_tag = uuid.uuid4().hex
    content = f"Long\n@emulator ttft_ms=0 token_ms=20 tokens=60 tag={slow_tag}"
    async with aconnect_sse(
        ada, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
    ) as source:
        refused = switched = None
        async for event in source.aiter_sse():
            last = event.event
            if event.event == "delta" and refused is None:
                refused = await ada.post(
                    f"/api/conversations/{conversation_id}/messages", json={"content": "Now", "model": "thinker"}
                )
                switched = await ada.patch(f"/api/conversations/{conversation_id}", json={"model": "mini"})
    assert refused is not None and switched is not None
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "conflict"
    assert switched.status_code == 200 and switched.json()["model"] == "mini"
    assert last == "done"
    assert (await upstream_ended(emulator, slow_tag)).deployment == "chat"
    _, next_tag = await say(ada, conversation_id)
    assert emulator.log.recent(next_tag)[0].deployment == "chat-mini"
    assert await answers_models(ada, conversation_id) == ["chat", "mini"]


async def test_an_unknown_model_is_a_400_that_lists_the_models(ada: httpx.AsyncClient, emulator: Emulator) -> None:
    conversation_id = (await new_conversation(ada))["id"]
    tag = uuid.uuid4().hex
    refused = [
        await ada.post("/api/conversations", json={"model": "gpt-9"}),
        await ada.patch(f"/api/conversations/{conversation_id}", json={"model": "gpt-9"}),
        await ada.post(
            f"/api/conversations/{conversation_id}/messages",
            json={"content": f"Hi\n@emulator tag={tag}", "model": "gpt-9"},
        ),
    ]
    for response in refused:
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_request"
        assert error["message"] == "model: no such model 'gpt-9'; available: chat, mini, thinker"
    assert emulator.log.recent(tag) == []
    assert (await ada.get(f"/api/conversations/{conversation_id}")).json()["model"] is None


async def test_options_are_checked_against_the_conversations_model(ada: httpx.AsyncClient, emulator: Emulator) -> None:
    thinking = (await new_conversation(ada, model="thinker"))["id"]
    tag = uuid.uuid4().hex
    refused = await ada.post(
        f"/api/conversations/{thinking}/messages",
        json={"content": f"Hi\n@emulator tag={tag}", "options": {"temperature": 0.2}},
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["message"].startswith("options.temperature: this model (thinker) reasons")
    too_long = await ada.post(
        f"/api/conversations/{thinking}/messages", json={"content": "Hi", "options": {"max_tokens": 3000}}
    )
    assert too_long.status_code == 422 and "at most 2000" in too_long.json()["error"]["message"]
    assert emulator.log.recent(tag) == []
    plain = (await new_conversation(ada))["id"]
    await say(ada, plain, options={"temperature": 0.2})
    effort = await ada.post(
        f"/api/conversations/{plain}/messages", json={"content": "Hi", "options": {"reasoning_effort": "low"}}
    )
    assert effort.status_code == 422
    _, switched = await say(ada, plain, model="thinker", options={"reasoning_effort": "low"})
    (record,) = emulator.log.recent(switched)
    assert record.deployment == "o4-mini" and record.options.get("reasoning_effort") == "low"
    assert "max_tokens" not in record.options and "temperature" not in record.options


async def test_each_model_fits_the_prompt_to_its_own_window(ada: httpx.AsyncClient, emulator: Emulator) -> None:
    """Thirty turns of about 100 tokens: the large window carries them all, mini's 2048 tokens only the newest."""
    roles = ("user", "assistant")
    messages = [{"role": roles[i % 2], "content": f"turn {i}: " + "word " * 100} for i in range(30)]
    imported = await ada.post(
        "/api/conversations/import", json={"conversations": [{"title": "Long", "messages": messages}]}
    )
    assert imported.status_code == 201, imported.text
    conversation_id = imported.json()["conversations"][0]["id"]
    _, large = await say(ada, conversation_id)
    _, small = await say(ada, conversation_id, model="mini")
    # (a summary made after mini's answer carries the earlier messages, tags included: not the answers' requests)
    (on_large,) = [record for record in emulator.log.recent(large) if not record.summary]
    (on_small,) = [record for record in emulator.log.recent(small) if not record.summary]
    assert on_large.messages is not None and on_large.messages >= 32  # the system prompt, 30 turns, the message
    assert on_small.messages is not None and 2 < on_small.messages < 22
    for _ in range(100):  # near mini's window, its answer is followed by a summary (of the older turns), by mini
        summaries = [record for record in emulator.log.recent(large) if record.summary]
        if summaries:
            break
        await asyncio.sleep(0.05)
    assert [record.deployment for record in summaries] == ["chat-mini"]


async def test_tools_are_offered_only_to_a_model_with_tools(ada: httpx.AsyncClient, emulator: Emulator) -> None:
    conversation_id = (await new_conversation(ada))["id"]
    _, with_tools = await say(ada, conversation_id)
    _, without = await say(ada, conversation_id, model="mini")
    assert emulator.log.recent(with_tools)[0].tools != []
    assert emulator.log.recent(without)[0].tools == []


async def test_without_models_there_is_the_one_model_as_before(api_server: ApiFactory) -> None:
    with api_server() as served:
        async with httpx.AsyncClient(base_url=served, timeout=10) as http:
            token = (await http.post("/api/auth/guest")).json()["access_token"]
            http.headers["Authorization"] = f"Bearer {token}"
            (model,) = (await http.get("/api/models")).json()["models"]
            conversation = await new_conversation(http)
            other = await http.patch(f"/api/conversations/{conversation['id']}", json={"model": "mini"})
    assert (model["id"], model["label"], model["default"], model["tools"]) == ("chat", "chat", True, True)
    assert conversation["model"] is None
    assert other.status_code == 400 and other.json()["error"]["message"].endswith("available: chat")


def problems(emulator_url: str, **overrides: Any) -> str:
    with pytest.raises(ValidationError) as raised:
        api_settings(emulator_url, **overrides)
    return describe_error(raised.value)


def test_models_are_checked_at_start_one_line_a_mistake(emulator_url: str) -> None:
    twice = [{"id": "a"}, {"id": "a", "model": "x"}]
    assert problems(emulator_url, MODELS=twice).removeprefix("configuration error: ").splitlines() == [
        "MODELS.1 (a): the id is used twice",
        "MODELS.1 (a): an Azure model takes `deployment`, not `model`",
    ]
    assert problems(emulator_url, AZURE_OPENAI_ENDPOINT=None, MODELS=[{"id": "a"}]) == (
        "configuration error: AZURE_OPENAI_ENDPOINT: Field required (MODELS has an Azure model)"
    )
    assert problems(emulator_url, MODELS=[{"id": "a", "provider": "bedrock"}]).startswith(
        "configuration error: MODELS.0.provider:"
    )
    assert problems(emulator_url, MODELS=[]) == (
        "configuration error: MODELS: list at least one model (or leave MODELS unset)"
    )


def test_models_come_from_the_environment_as_json(emulator_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    mixed = [{"id": "a"}, {"id": "llama3.2", "provider": "openai", "label": "Llama (local)"}]
    monkeypatch.setenv("MODELS", json.dumps(mixed))
    settings = api_settings(emulator_url, AZURE_OPENAI_DEPLOYMENT=None)
    assert [settings.model_provider(entry) for entry in settings.models] == ["azure", "openai"]
    assert (settings.model, settings.models[1].shown_as, settings.models[1].upstream_name) == (
        "a",
        "Llama (local)",
        "llama3.2",
    )
    monkeypatch.setenv("MODELS", "")
    assert api_settings(emulator_url).MODELS is None


async def test_the_stateless_routes_take_a_model_too(ada: httpx.AsyncClient, emulator: Emulator) -> None:
    tag, default_tag = uuid.uuid4().hex, uuid.uuid4().hex
    on_mini = await ada.post("/api/chat/events", json={"message": f"Hi\n@emulator tag={tag}", "model": "mini"})
    on_default = await ada.post("/api/chat/events", json={"message": f"Hi\n@emulator tag={default_tag}"})
    unknown = await ada.post("/api/chat/events", json={"message": "Hi", "model": "gpt-9"})
    assert dict(sse_events(on_mini))["start"]["model"] == "mini"
    assert dict(sse_events(on_default))["start"]["model"] == "chat"
    assert [emulator.log.recent(t)[0].deployment for t in (tag, default_tag)] == ["chat-mini", "chat"]
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"] == "model: no such model 'gpt-9'; available: chat, mini, thinker"


async def test_one_client_per_provider_and_the_embeddings_on_model_providers(emulator_url: str) -> None:
    mixed = [
        {"id": "chat"},
        {"id": "llama3.2", "provider": "openai"},
        {"id": "mini", "deployment": "chat-mini"},
    ]
    settings = api_settings(emulator_url, MODELS=mixed, OPENAI_BASE_URL=f"{emulator_url}/v1", OPENAI_API_KEY=API_KEY)
    async with open_models(settings) as models:
        chat, llama, mini = (models.get(name).upstream for name in ("chat", "llama3.2", "mini"))
        assert chat.chat.client is mini.chat.client and chat.chat.client is not llama.chat.client
        assert (chat.model, llama.model, mini.model) == ("chat", "llama3.2", "chat-mini")
        assert llama.embeddings is None and models.embedding_upstream is chat
