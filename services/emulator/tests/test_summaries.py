"""Summarisation requests (a conversation whose last message is a system message beginning "Summarize"):
answered recognisably, so the api's tests can tell a summary was made and then used."""

import openai
from openai import AsyncAzureOpenAI

from emulator.app import Emulator

INSTRUCTIONS = "Summarize the conversation above."


async def test_a_summary_request_is_answered_with_a_recognisable_summary(
    azure: AsyncAzureOpenAI, emulator: Emulator
) -> None:
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "user", "content": "Plan a trip to Lisbon in May please"},
        {"role": "assistant", "content": "Here is a plan."},
        {"role": "user", "content": "Add a day in Sintra\n@emulator tag=summary-1"},
        {"role": "assistant", "content": "Done."},
        {"role": "system", "content": INSTRUCTIONS},
    ]
    reply = await azure.chat.completions.create(model="chat", messages=messages)
    assert reply.choices[0].message.content == (
        "[emulator summary of 4 messages] The user asked: Plan a trip to Lisbon in; Add a day in Sintra."
    )
    (record,) = emulator.log.recent("summary-1")
    assert record.summary and record.roles == ["user", "assistant", "user", "assistant", "system"]
    assert reply.usage is not None and reply.usage.prompt_tokens > 0


async def test_an_earlier_summary_is_carried_forward(azure: AsyncAzureOpenAI) -> None:
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "assistant", "content": "Summary of the earlier conversation:\n[emulator summary of 4 messages] …"},
        {"role": "user", "content": "And a day in Porto"},
        {"role": "assistant", "content": "Added."},
        {"role": "system", "content": INSTRUCTIONS},
    ]
    reply = await azure.chat.completions.create(model="chat", messages=messages)
    assert reply.choices[0].message.content == (
        "[emulator summary of 2 messages] (carrying an earlier summary forward) The user asked: And a day in Porto."
    )
