"""Title requests (instructions first, in a system message beginning "Write a short title"; the first question
and answer as the user's message): answered with a short, recognisable title, whatever directives the question
carries for its answer."""

import openai
import pytest
from openai import AsyncAzureOpenAI

from emulator.app import Emulator
from emulator.replies import title_tokens

INSTRUCTIONS = "Write a short title for the conversation in the user's message."


def title_request(question: str, answer: str = "Here is a plan.") -> list[openai.types.chat.ChatCompletionMessageParam]:
    return [
        {"role": "system", "content": INSTRUCTIONS},
        {"role": "user", "content": f"User: {question}\n\nAssistant: {answer}"},
    ]


async def test_a_title_request_is_answered_with_the_questions_first_words(
    azure: AsyncAzureOpenAI, emulator: Emulator
) -> None:
    messages = title_request("Plan a trip to Lisbon in May please\n@emulator tag=title-1")
    reply = await azure.chat.completions.create(model="chat", messages=messages, max_tokens=24)
    assert reply.choices[0].message.content == "Plan a trip to Lisbon in (emulator title)"
    assert reply.choices[0].finish_reason == "stop"
    (record,) = emulator.log.recent("title-1:title")
    assert record.title and not record.summary and record.roles == ["system", "user"]
    assert emulator.log.recent("title-1") == []  # the question's tag is its answer's


async def test_the_questions_faults_calls_and_scripted_replies_are_its_answers(
    azure: AsyncAzureOpenAI, emulator: Emulator
) -> None:
    question = (
        "Echo the time\n@emulator call current_time {}\n@emulator fault=500 reply=echo tokens=3 tag=title-2\n"
        "@emulator title_ms=200"
    )
    reply = await azure.chat.completions.create(model="chat", messages=title_request(question))
    assert reply.choices[0].message.content == "Echo the time (emulator title)"
    (record,) = emulator.log.recent("title-2:title")
    assert record.status == 200 and record.fault is None and record.tool_calls == []
    assert record.ended_at is not None
    assert record.ended_at - record.received_at >= 0.19  # the question's pace, 0.2 s (timers round to the ms)


async def test_a_title_request_to_a_faulty_deployment_fails(base_url: str) -> None:
    """How a test makes the title call fail while the answer succeeds: the title model's deployment."""
    async with AsyncAzureOpenAI(
        azure_endpoint=base_url, api_key="test-key", api_version="2024-10-21", max_retries=0
    ) as client:
        with pytest.raises(openai.InternalServerError):
            await client.chat.completions.create(model="fault-500", messages=title_request("Anything"))


async def test_an_ordinary_request_that_mentions_titles_is_not_one(azure: AsyncAzureOpenAI, emulator: Emulator) -> None:
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "user", "content": f"{INSTRUCTIONS}\n@emulator tag=title-3"},
    ]
    reply = await azure.chat.completions.create(model="chat", messages=messages)
    assert "(emulator title)" not in (reply.choices[0].message.content or "")
    (record,) = emulator.log.recent("title-3")
    assert not record.title


def test_a_title_is_cut_at_max_tokens_and_has_a_mark_without_words() -> None:
    assert "".join(title_tokens("@emulator tag=x")) == "(emulator title)"
    assert len(title_tokens("One two three four five six seven", limit=2)) == 2
