"""Titles written by the model after a new conversation's first answer, in the background: the answer's `done`
never waits for one, the client leaving changes nothing, the call is charged to the user (a user the limits
refuse makes none), a rename made meanwhile wins, and a failed call keeps the first words. On Postgres and
Redis, as in compose (the limits need Redis); the emulator answers title requests recognisably."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from emulator.app import Emulator
from emulator.request_log import RequestRecord
from emulator.testing import eventually, request_ended
from pydantic import ValidationError

from chat_api.conversations.service import title_from
from chat_api.settings import describe_error
from chat_api.titles.writer import INSTRUCTIONS, MAX_TOKENS, cleaned

from .conftest import ApiFactory, api_settings, signed_in, sse_events

QUESTION = "Plan a trip to Lisbon in May please"
WRITTEN = "Plan a trip to Lisbon in (emulator title)"  # what the emulator's title for QUESTION is
QUICK = "ttft_ms=0 token_ms=0 tokens=5"
# Two models: titles from the default one unless TITLES_MODEL names the other, whose deployment always fails.
MODELS = [{"id": "chat"}, {"id": "broken", "deployment": "fault-500"}]


@pytest.fixture
def titled_api(api_server: ApiFactory, postgres: Any, redis_url: str) -> Callable[..., Any]:
    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        store = {"DATABASE_URL": await postgres.new(), "REDIS_URL": redis_url}
        settings = {"MODELS": MODELS, "TITLES_BY_MODEL": True, "TOOLS_ENABLED": False, **store, **overrides}
        with api_server(**settings) as url:
            async with signed_in(url) as http:
                yield http

    return start


def asked(text: str, directive: str = QUICK) -> tuple[str, str]:
    tag = uuid.uuid4().hex
    return f"{text}\n@emulator {directive} tag={tag}", tag


async def new_conversation(http: httpx.AsyncClient) -> str:
    created: str = (await http.post("/api/conversations", json={})).json()["id"]
    return created


async def send(http: httpx.AsyncClient, conversation: str, text: str) -> list[tuple[str, Any]]:
    response = await http.post(f"/api/conversations/{conversation}/messages", json={"content": text})
    assert response.status_code == 200, response.text
    events = sse_events(response)
    assert events[-1][0] == "done", events[-1]
    return events


async def title_of(http: httpx.AsyncClient, conversation: str) -> str:
    title: str = (await http.get(f"/api/conversations/{conversation}")).json()["title"]
    return title


async def title_becomes(http: httpx.AsyncClient, conversation: str, expected: str) -> None:
    for _ in range(100):
        if await title_of(http, conversation) == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the title is {await title_of(http, conversation)!r}, not {expected!r}")


async def title_requests_ended(emulator: Emulator, tag: str) -> list[RequestRecord]:
    """The title requests for the question tagged `tag`, once the last has ended and been settled."""

    def ended() -> RequestRecord | None:
        records = emulator.log.recent(f"{tag}:title")
        return records[-1] if records and records[-1].ended_at is not None else None

    await eventually(ended, within=10.0, what=f"the end of the title request for {tag}")
    await asyncio.sleep(0.2)  # its reply saved, its tokens settled, just after the response ends
    return emulator.log.recent(f"{tag}:title")


async def test_the_first_answers_title_is_written_after_its_done_and_saved(
    titled_api: Callable[..., Any], emulator: Emulator
) -> None:
    async with titled_api() as http:
        conversation = await new_conversation(http)
        text, tag = asked(QUESTION, f"{QUICK} title_ms=1000")
        await send(http, conversation, text)
        answered_at = time.time()
        assert await title_of(http, conversation) == title_from(text)  # the first words until then
        (request,) = await title_requests_ended(emulator, tag)
        await title_becomes(http, conversation, WRITTEN)
    # `done` came while the title was being written (both in epoch seconds)
    assert request.ended_at is not None and answered_at < request.ended_at
    assert request.status == 200 and request.deployment == "chat"  # the conversation's model
    assert request.roles == ["system", "user"] and request.tools == []  # our instructions; no tools
    assert request.options["max_tokens"] == MAX_TOKENS and not request.options.get("stream")


async def test_titles_are_written_in_the_embedded_mode_too(api_server: ApiFactory, emulator: Emulator) -> None:
    """SQLite, no Redis (so no limits to charge): the same title, saved the same way."""
    with api_server(TITLES_BY_MODEL=True) as url:
        async with signed_in(url) as http:
            conversation = await new_conversation(http)
            text, tag = asked(QUESTION)
            await send(http, conversation, text)
            await title_requests_ended(emulator, tag)
            await title_becomes(http, conversation, WRITTEN)


async def test_a_title_outlives_the_client_that_left(titled_api: Callable[..., Any], emulator: Emulator) -> None:
    async with titled_api() as http:
        conversation = await new_conversation(http)
        text, tag = asked(QUESTION, "ttft_ms=0 token_ms=20 tokens=20")
        async with http.stream(
            "POST", f"/api/conversations/{conversation}/messages", json={"content": text}
        ) as response:
            async for line in response.aiter_lines():
                if line.startswith("event: delta"):
                    break  # gone at the first token: the answer goes on, and its title follows it
        await title_requests_ended(emulator, tag)
        await title_becomes(http, conversation, WRITTEN)


async def test_a_title_is_charged_to_the_user(titled_api: Callable[..., Any], emulator: Emulator) -> None:
    async with titled_api() as http:
        conversation = await new_conversation(http)
        text, tag = asked(QUESTION)
        usage = dict(await send(http, conversation, text))["usage"]
        (request,) = await title_requests_ended(emulator, tag)
        used = (await http.get("/api/me/usage")).json()["tokens_per_day"]["used"]
    answer = usage["prompt_tokens"] + usage["completion_tokens"]
    # The title's reply, and its prompt (our instructions and the conversation), on top of the answer's.
    assert used - answer > request.tokens_sent + len(INSTRUCTIONS) // 4, (used, answer, request.tokens_sent)


async def test_a_rename_made_meanwhile_wins(titled_api: Callable[..., Any], emulator: Emulator) -> None:
    async with titled_api() as http:
        conversation = await new_conversation(http)
        text, tag = asked(QUESTION, f"{QUICK} title_ms=400")
        await send(http, conversation, text)
        renamed = await http.patch(f"/api/conversations/{conversation}", json={"title": "My Lisbon trip"})
        assert renamed.status_code == 200, renamed.text
        (request,) = await title_requests_ended(emulator, tag)
        assert request.status == 200
        assert await title_of(http, conversation) == "My Lisbon trip"


async def test_a_failed_title_call_keeps_the_first_words(titled_api: Callable[..., Any], emulator: Emulator) -> None:
    async with titled_api(TITLES_MODEL="broken") as http:
        conversation = await new_conversation(http)
        text, tag = asked(QUESTION)
        await send(http, conversation, text)
        requests = await title_requests_ended(emulator, tag)
        await asyncio.sleep(0.3)  # any retry of the SDK's, and its end
        requests = emulator.log.recent(f"{tag}:title")
        assert requests and {r.status for r in requests} == {500} and {r.deployment for r in requests} == {"fault-500"}
        assert await title_of(http, conversation) == title_from(text)
        # and the user is charged nothing for it: the day's tokens are the answer's
        used = (await http.get("/api/me/usage")).json()["tokens_per_day"]["used"]
        answer = (await http.get(f"/api/conversations/{conversation}")).json()["messages"]["items"][-1]["usage"]
    assert used == answer["prompt_tokens"] + answer["completion_tokens"]


async def test_no_title_for_later_answers_a_retry_or_a_chat_given_its_title(
    titled_api: Callable[..., Any], emulator: Emulator
) -> None:
    async with titled_api() as http:
        conversation = await new_conversation(http)
        first, first_tag = asked(QUESTION)
        await send(http, conversation, first)
        await title_requests_ended(emulator, first_tag)
        second, second_tag = asked("And a day in Sintra")
        events = await send(http, conversation, second)
        answer_id = dict(events)["start"]["assistant_message_id"]
        retried = await http.post(f"/api/conversations/{conversation}/messages/{answer_id}/retry", json={})
        assert retried.status_code == 200 and sse_events(retried)[-1][0] == "done"
        named = (await http.post("/api/conversations", json={"title": "Named"})).json()["id"]
        third, third_tag = asked(QUESTION)
        await send(http, named, third)
        await asyncio.sleep(0.5)  # what a title call would need to reach the emulator
        assert await title_of(http, conversation) == WRITTEN
        assert await title_of(http, named) == "Named"
    assert len(emulator.log.recent(f"{first_tag}:title")) == 1
    assert emulator.log.recent(f"{second_tag}:title") == emulator.log.recent(f"{third_tag}:title") == []


async def test_no_title_call_when_the_users_budget_is_spent(titled_api: Callable[..., Any], emulator: Emulator) -> None:
    """The budget admits the answer, and not the title after it: no model call, the first words stay."""
    async with titled_api(GUEST_TOKENS_PER_DAY=150) as http:
        conversation = await new_conversation(http)
        text, tag = asked(QUESTION)
        response = await http.post(
            f"/api/conversations/{conversation}/messages", json={"content": text, "options": {"max_tokens": 40}}
        )
        assert response.status_code == 200 and sse_events(response)[-1][0] == "done", response.text
        await request_ended(emulator.log, tag)
        await asyncio.sleep(0.5)  # what a title call would need to reach the emulator
        assert await title_of(http, conversation) == title_from(text)
    assert emulator.log.recent(f"{tag}:title") == []


async def test_no_title_call_when_titles_are_off(titled_api: Callable[..., Any], emulator: Emulator) -> None:
    async with titled_api(TITLES_BY_MODEL=False) as http:
        conversation = await new_conversation(http)
        text, tag = asked(QUESTION)
        await send(http, conversation, text)
        await asyncio.sleep(0.5)
        assert await title_of(http, conversation) == title_from(text)
    assert emulator.log.recent(f"{tag}:title") == []


@pytest.mark.parametrize(
    ("reply", "title"),
    [
        ('"Trip to Lisbon."', "Trip to Lisbon"),
        ("Title: **Trip to Lisbon**\n\nA plan for May.", "Trip to Lisbon"),
        ("\n\n  « Voyage à Lisbonne »  ", "Voyage à Lisbonne"),
        ("What is 2 + 2?", "What is 2 + 2?"),
        ("Dr. Who's 3.5 episodes...", "Dr. Who's 3.5 episodes"),
        ('  \n""\n', None),
        ("x" * 300, "x" * 199 + "…"),
    ],
)
def test_a_reply_is_made_into_a_title(reply: str, title: str | None) -> None:
    assert cleaned(reply) == title


def test_a_titles_model_must_be_one_of_the_models(emulator_url: str) -> None:
    with pytest.raises(ValidationError) as raised:
        api_settings(emulator_url, MODELS=MODELS, TITLES_MODEL="cheap")
    assert describe_error(raised.value) == (
        "configuration error: TITLES_MODEL: no such model 'cheap' (MODELS has: chat, broken)"
    )
    assert api_settings(emulator_url, TITLES_MODEL="").TITLES_MODEL is None
