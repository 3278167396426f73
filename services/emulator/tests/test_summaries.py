"""Summarisation requests (instructions in a system message beginning "Summarize", first or last):
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


async def test_instructions_first_and_the_transcript_as_the_users_message(
    azure: AsyncAzureOpenAI, emulator: Emulator
) -> None:
    """The form every chat template accepts: one system message first, then the user's."""
    transcript = (
        "Summary of the earlier conversation:\n[emulator summary of 4 messages] …\n\n"
        "User: And a day in Porto\n\nAssistant: Added.\n\nUser: Then Faro\n@emulator tag=summary-2\n\nAssistant: Fine."
    )
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "system", "content": "Summarize the conversation in the user's message."},
        {"role": "user", "content": transcript},
    ]
    reply = await azure.chat.completions.create(model="chat", messages=messages)
    assert reply.choices[0].message.content == (
        "[emulator summary of 4 messages] (carrying an earlier summary forward) The user asked: And a day in Porto; "
        "Then Faro."
    )
    (record,) = emulator.log.recent("summary-2")
    assert record.summary and record.roles == ["system", "user"] and not record.carries_summary


async def test_a_prompt_that_carries_a_summary_is_marked(azure: AsyncAzureOpenAI, emulator: Emulator) -> None:
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "system", "content": "Be brief.\n\nSummary of the earlier conversation:\n[emulator summary] …"},
        {"role": "user", "content": "Go on\n@emulator tag=carries-1"},
    ]
    await azure.chat.completions.create(model="chat", messages=messages)
    (record,) = emulator.log.recent("carries-1")
    assert record.carries_summary and not record.summary


async def test_a_transcripts_last_question_directs_its_summary(azure: AsyncAzureOpenAI, emulator: Emulator) -> None:
    transcript = (
        "User: First\n@emulator fault=500\n\nAssistant: One.\n\nUser: Second\n@emulator summary_ms=200 tag=summary-3"
        "\n\nAssistant: Two."
    )
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "system", "content": "Summarize the conversation in the user's message."},
        {"role": "user", "content": transcript},
    ]
    await azure.chat.completions.create(model="chat", messages=messages)  # not the first question's fault
    (record,) = emulator.log.recent("summary-3")
    assert record.status == 200 and record.ended_at is not None
    assert record.ended_at - record.received_at >= 0.19  # its 0.2 s pace (the loop's timers round to the ms)
