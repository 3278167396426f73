"""Memory for long conversations: each prompt fits the model's context window (here a small one, 1,024 tokens),
one system message first and turns that alternate from the user; older turns summarised once, after an answer,
in the background (the emulator answers summarisation requests recognisably), the summary stored and reused; a
failed or slow summary never holds up an answer; a summary is charged to the user, and a user the limits
refuse makes no model call at all."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from emulator.app import Emulator
from emulator.request_log import RequestRecord
from emulator.tokens import tokenize
from httpx_sse import aconnect_sse

from chat_api.chat.tokens import messages_tokens
from chat_api.chat.window import ESTIMATE_MARGIN

from .conftest import ApiFactory, signed_in, sse_events

SECRET = "a-test-signing-secret-of-forty-characters"

# No tools: their definitions would take most of so small a window (memory reserves room for them).
SMALL_WINDOW: dict[str, Any] = {"CONTEXT_WINDOW_TOKENS": 1024, "SUMMARY_MAX_TOKENS": 100, "TOOLS_ENABLED": False}
MAX_TOKENS = 100
SYSTEM_PROMPT = "You are a helpful assistant. Answer clearly; use Markdown where it helps."


@pytest.fixture
async def small_window(api_server: ApiFactory) -> AsyncIterator[httpx.AsyncClient]:
    with api_server(**SMALL_WINDOW) as url:
        async with signed_in(url) as http:
            yield http


def question(number: int, directive: str = "") -> tuple[str, str]:
    tag = uuid.uuid4().hex
    text = (
        f"Question {number} about the old harbour and its lighthouse keepers\n@emulator tokens=40 {directive} tag={tag}"
    )
    return text, tag


async def send(http: httpx.AsyncClient, conversation: str, text: str) -> list[tuple[str, Any]]:
    body = {"content": text, "options": {"max_tokens": MAX_TOKENS}}
    response = await http.post(f"/api/conversations/{conversation}/messages", json=body)
    assert response.status_code == 200, response.text
    events = sse_events(response)
    assert events[-1][0] == "done", events[-1]
    return events


def answer_request(emulator: Emulator, tag: str) -> RequestRecord:
    records = [record for record in emulator.log.recent(tag) if not record.summary and record.status == 200]
    assert records, f"no answer request for {tag}"
    record = records[-1]
    assert record.roles[0] == "system" and record.roles[1:] == ["user", "assistant"] * (len(record.roles) // 2 - 1) + [
        "user"
    ], record.roles  # one system message, then turns alternating from the user
    return record


def summaries_since(emulator: Emulator, moment: float) -> list[RequestRecord]:
    return [record for record in emulator.log.recent(None) if record.summary and record.received_at >= moment]


async def summaries_ended(emulator: Emulator, moment: float) -> None:
    await asyncio.sleep(0.1)  # one, if due, starts once the answer has ended
    for _ in range(100):
        if all(record.ended_at is not None for record in summaries_since(emulator, moment)):
            await asyncio.sleep(0.05)  # and saved
            return
        await asyncio.sleep(0.05)
    raise AssertionError("a summary did not end")


async def new_conversation(http: httpx.AsyncClient) -> str:
    created: str = (await http.post("/api/conversations", json={})).json()["id"]
    return created


# Tools on: their definitions take much of the window, and the summary must come before the prompt drops turns.
WITH_TOOLS: dict[str, Any] = {**SMALL_WINDOW, "CONTEXT_WINDOW_TOKENS": 2048, "TOOLS_ENABLED": True}


@pytest.mark.parametrize("window", [SMALL_WINDOW, WITH_TOOLS], ids=["without-tools", "with-tools"])
async def test_older_turns_are_summarised_once_and_the_summary_is_reused(
    api_server: ApiFactory, emulator: Emulator, window: dict[str, Any]
) -> None:
    with api_server(**window) as url:
        async with signed_in(url) as http:
            await summarised_once_and_reused(http, emulator)


async def summarised_once_and_reused(http: httpx.AsyncClient, emulator: Emulator) -> None:
    started = time.time()
    conversation = await new_conversation(http)
    seen = []
    for number in range(1, 15):
        text, tag = question(number)
        await send(http, conversation, text)
        seen.append(answer_request(emulator, tag))
        await summaries_ended(emulator, started)  # as a user who reads the answer before writing again
    made = summaries_since(emulator, started)

    summarised = [record for record in seen if record.carries_summary]  # a summary in the system message
    assert summarised, [record.roles for record in seen]
    first = seen.index(summarised[0])
    assert seen[first - 1].messages == 2 * first  # the whole branch (and the system prompt), until it neared the window
    assert all(record.messages is not None and record.messages < 2 * 14 for record in seen[first:])
    assert all(record.carries_summary for record in seen[first:])
    # Made once when the window overflowed, then reused turn after turn until more fell out: a few, not one
    # per request.
    assert 1 <= len(made) <= 3 < len(seen) - first, (len(made), len(seen) - first)
    assert all(record.status == 200 for record in made)

    detail = (await http.get(f"/api/conversations/{conversation}")).json()
    summary = detail["summary"]
    assert summary["content"].startswith("[emulator summary of ")
    assert (
        "Question 1 about the old harbour" in summary["content"] or "carrying an earlier summary" in summary["content"]
    )
    assert summary["covers_message_id"] in [message["id"] for message in detail["messages"]["items"]]


async def test_a_failing_summary_falls_back_to_the_newest_turns_and_is_tried_again(
    small_window: httpx.AsyncClient, emulator: Emulator
) -> None:
    """Each question's first request fails once (`fail_times=1`): its answer's retry gets through, but a
    summary request, which carries the directives of the last question it summarises, fails (summaries are not
    retried)."""
    http, started = small_window, time.time()
    conversation = await new_conversation(http)
    seen = []
    for number in range(1, 13):
        text, tag = question(number, "fault=500 fail_times=1")
        await send(http, conversation, text)  # every answer ends well
        seen.append(answer_request(emulator, tag))
    failed = summaries_since(emulator, started)
    assert failed and all(record.status == 500 for record in failed)
    assert len(failed) >= 2  # tried again at the next request
    assert not any(record.carries_summary for record in seen)  # no summary
    assert max(record.messages or 0 for record in seen) < 2 * 12  # the newest turns that fit
    assert (await http.get(f"/api/conversations/{conversation}")).json()["summary"] is None

    # Questions that do not fail: once the newest of the turns to summarise is one of them, the summary request
    # gets through (a summary request carries the directives of the last question it summarises).
    for number in range(13, 25):
        text, tag = question(number)
        await send(http, conversation, text)
        if answer_request(emulator, tag).carries_summary:
            break
    else:
        raise AssertionError("no summary was made once the questions stopped failing")
    assert (await http.get(f"/api/conversations/{conversation}")).json()["summary"] is not None


async def first_event_after(http: httpx.AsyncClient, conversation: str, text: str) -> tuple[float, list[Any]]:
    """Sends `text`: seconds until the answer's first delta, and all its events."""
    began = time.monotonic()
    first: float | None = None
    events: list[Any] = []
    body = {"content": text, "options": {"max_tokens": MAX_TOKENS}}
    async with aconnect_sse(http, "POST", f"/api/conversations/{conversation}/messages", json=body) as source:
        assert source.response.status_code == 200
        async for event in source.aiter_sse():
            if event.event == "delta" and first is None:
                first = time.monotonic() - began
            events.append((event.event, event.json()))
    assert first is not None and events[-1][0] == "done", events[-1:]
    return first, events


async def test_a_send_never_waits_for_a_summary_which_is_kept_when_it_comes(
    api_server: ApiFactory, emulator: Emulator
) -> None:
    """Summaries take 1.5 s here (the emulator's summary_ms), answers none: every send's first token comes at
    once, also while a summary is being made, which is stored when it ends and used by the next send."""
    with api_server(**SMALL_WINDOW, SUMMARY_TIMEOUT_S=10) as url:
        async with signed_in(url) as http:
            started = time.time()
            conversation = await new_conversation(http)
            during: list[float] = []
            for number in range(1, 20):
                text, tag = question(number, "summary_ms=1500")
                waited, _ = await first_event_after(http, conversation, text)
                assert waited < 1.0, (number, waited)
                made = summaries_since(emulator, started)
                if made and made[0].ended_at is None and made[0].received_at < time.time():
                    during.append(waited)
                    if len(during) == 2:
                        break
            assert during, "no send was made while a summary was on its way"
            detail: dict[str, Any] = {}
            for _ in range(100):
                detail = (await http.get(f"/api/conversations/{conversation}")).json()
                if detail["summary"] is not None:
                    break
                await asyncio.sleep(0.05)
            assert detail["summary"] is not None  # kept when it came

            assert len(summaries_since(emulator, started)) == 1  # one at a time, not one per send
            text, tag = question(99)
            await send(http, conversation, text)
            assert answer_request(emulator, tag).carries_summary  # and used by the next answer


async def test_a_stateless_clients_long_history_is_fitted_not_refused(
    api_server: ApiFactory, emulator: Emulator
) -> None:
    """Newest turns that fit, alternating from the user (the leading answer truncation leaves is dropped),
    and the client's system entry joins the one system message."""
    history = [
        {"role": "user" if index % 2 == 0 else "assistant", "content": f"Turn {index}: " + "harbour words " * 25}
        for index in range(40)
    ]
    history.insert(30, {"role": "system", "content": "Answer in French."})
    with api_server(**SMALL_WINDOW) as url:
        async with signed_in(url) as http:
            tag = uuid.uuid4().hex
            body = {
                "message": f"And now?\n@emulator tokens=5 tag={tag}",
                "history": history,
                "options": {"max_tokens": MAX_TOKENS},
            }
            response = await http.post("/api/chat/events", json=body)
    assert response.status_code == 200, response.text
    assert sse_events(response)[-1] == ("done", {"finish_reason": "stop"})
    record = answer_request(emulator, tag)  # one system message, then alternating turns
    assert record.messages is not None and record.messages < 42
    assert not any(r.summary for r in emulator.log.recent(tag))  # a stateless history is never summarised


async def limited_user_in_a_long_conversation(
    api_server: ApiFactory, postgres: Any, redis_url: str, emulator: Emulator, limits: dict[str, int]
) -> tuple[str, int]:
    """A guest's conversation that overflows the window with no summary made (built on an api without
    summaries), then: the status of one more send on an api where `limits` hold and the guest has spent
    them, and how many requests the model received from that send."""
    shared = {"DATABASE_URL": await postgres.new(), "REDIS_URL": redis_url, "AUTH_SECRET": SECRET, **SMALL_WINDOW}
    with api_server(**shared, MEMORY_SUMMARIES=False, GUEST_REQUESTS_PER_MINUTE=100) as builder:
        async with signed_in(builder) as http:
            conversation = await new_conversation(http)
            for number in range(1, 12):
                await send(http, conversation, question(number)[0])
            headers = dict(http.headers)
    with api_server(**shared, **limits) as url:
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=10) as http:
            moment = time.time()
            text, _ = question(12)
            response = await http.post(
                f"/api/conversations/{conversation}/messages",
                json={"content": text, "options": {"max_tokens": MAX_TOKENS}},
            )
            await asyncio.sleep(0.3)  # what a background call would need to reach the emulator
    return response.json()["error"]["code"], len([r for r in emulator.log.recent(None) if r.received_at >= moment])


async def test_a_guest_whose_budget_is_spent_makes_no_model_call(
    api_server: ApiFactory, postgres: Any, redis_url: str, emulator: Emulator
) -> None:
    code, requests = await limited_user_in_a_long_conversation(
        api_server, postgres, redis_url, emulator, {"GUEST_TOKENS_PER_DAY": 1000, "GUEST_REQUESTS_PER_MINUTE": 100}
    )
    assert (code, requests) == ("quota_exceeded", 0)


async def test_a_guest_whose_minute_is_spent_makes_no_model_call(
    api_server: ApiFactory, postgres: Any, redis_url: str, emulator: Emulator
) -> None:
    code, requests = await limited_user_in_a_long_conversation(
        api_server, postgres, redis_url, emulator, {"GUEST_REQUESTS_PER_MINUTE": 11}
    )
    assert (code, requests) == ("rate_limited", 0)


async def test_a_summary_is_charged_to_the_user(
    api_server: ApiFactory, postgres: Any, redis_url: str, emulator: Emulator
) -> None:
    """The day's tokens are the answers' (the model's count) plus the summary's: more than the answers."""
    shared = {"DATABASE_URL": await postgres.new(), "REDIS_URL": redis_url, **SMALL_WINDOW}
    with api_server(**shared, GUEST_REQUESTS_PER_MINUTE=100) as url:
        async with signed_in(url) as http:
            started = time.time()
            conversation = await new_conversation(http)
            answers = 0
            for number in range(1, 15):
                events = await send(http, conversation, question(number)[0])
                usage = dict(events)["usage"]
                answers += usage["prompt_tokens"] + usage["completion_tokens"]
                if summaries_since(emulator, started):
                    break
            for _ in range(100):
                made = summaries_since(emulator, started)
                if made and made[0].ended_at is not None:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)  # settled just after the emulator's response ends
            used = (await http.get("/api/me/usage")).json()["tokens_per_day"]["used"]
            stored = (await http.get(f"/api/conversations/{conversation}")).json()["summary"]
    (summary,) = summaries_since(emulator, started)
    assert summary.status == 200 and stored is not None
    # Its completion, and a prompt (the transcript) longer than that: the day's tokens grew by more.
    assert used - answers > 2 * len(tokenize(stored["content"])), (used, answers)


async def test_the_token_estimate_errs_on_the_side_of_too_many(small_window: httpx.AsyncClient) -> None:
    """The estimate (three characters a token) against the emulator's count (a GPT-like pre-tokenisation) on
    a conversation of markdown answers with code, a table and other scripts: never more than a fifth under (the
    margin memory keeps, chat.window.ESTIMATE_MARGIN), and not wildly over (which would waste the window).
    Measured here: from 5% under to 35% over."""
    conversation = await new_conversation(small_window)
    texts = [SYSTEM_PROMPT]
    errors = []
    for number in range(1, 6):
        text, _ = question(number)
        events = await send(small_window, conversation, text)
        usage = next(data for name, data in events if name == "usage")
        sent_text = text.split("\n@emulator")[0]  # the emulator counts the message without its directive line
        estimate = messages_tokens([*texts, sent_text])
        errors.append(round((estimate - usage["prompt_tokens"]) / usage["prompt_tokens"], 3))
        texts += [sent_text, "".join(data["text"] for name, data in events if name == "delta")]
    assert all(-ESTIMATE_MARGIN < error < 0.5 for error in errors), errors
