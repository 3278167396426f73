"""A summary of older turns (the same model, not streamed, with our instructions), and the newest turns alone
(Semantic Kernel's truncation) when no summary covers what falls out of the window.

The summarisation request is a chat every template accepts: the instructions as the system message, first,
and the transcript to summarise (an earlier summary carried forward, then the turns) as one user message."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from semantic_kernel.connectors.ai.open_ai import OpenAIChatPromptExecutionSettings
from semantic_kernel.connectors.ai.open_ai.services.open_ai_chat_completion_base import OpenAIChatCompletionBase
from semantic_kernel.contents import AuthorRole, ChatMessageContent
from semantic_kernel.contents.history_reducer.chat_history_truncation_reducer import ChatHistoryTruncationReducer

from chat_api.chat import instructed
from chat_api.chat.tokens import CHARS_PER_TOKEN, message_tokens
from chat_api.chat.window import Turn

# A request whose first message is a system message starting "Summarize" is a summarisation (the emulator
# answers those recognisably).
INSTRUCTIONS: Final = """Summarize the conversation in the user's message for the assistant who will continue it.
Write at most eight sentences, in the language of the conversation, as plain prose.
Keep what later turns may need: the user's goals and constraints, names, numbers, code identifiers,
decisions taken, questions still open. If the conversation begins with an earlier summary, carry its facts
forward. Do not add anything that was not said. Output only the summary."""
SUMMARY_PREFIX: Final = "Summary of the earlier conversation:\n"
SPEAKERS: Final = {"user": "User", "assistant": "Assistant", "system": "System"}


@dataclass(frozen=True)
class Summary:
    text: str
    tokens: int | None  # the model's count (prompt and summary), None when it did not say


def summary_message(text: str) -> Turn:
    """How a summary goes to the model: part of the one system message, before the turns it does not cover."""
    return Turn(None, "system", SUMMARY_PREFIX + text)


def transcript(previous: str | None, turns: Sequence[Turn], room: int) -> str:
    """The text to summarise, within `room` tokens (estimated): an earlier summary, then each turn as
    "User: ..." or "Assistant: ...", the longest ones cut short so that all of them fit."""
    parts = [SUMMARY_PREFIX + previous] if previous is not None else []
    parts += [f"{SPEAKERS[turn.role]}: {turn.content}" for turn in turns]
    budget_chars = max(0, room - message_tokens("")) * CHARS_PER_TOKEN - 2 * len(parts)
    cap = _cap_for(sorted(len(part) for part in parts), budget_chars)
    return "\n\n".join(part if len(part) <= cap else part[:cap] + " …" for part in parts)


def _cap_for(sizes: list[int], budget: int) -> int:
    """The largest length each part may keep so that all of them fit `budget` characters (water-filling)."""
    remaining, count = budget, len(sizes)
    for index, size in enumerate(sizes):
        share = remaining // (count - index)
        if size > share:
            return max(0, share - 2)
        remaining -= size
    return max(sizes, default=0)


def request_tokens(text: str) -> int:
    """The summarisation request's prompt, estimated: the instructions and the transcript."""
    return message_tokens(INSTRUCTIONS) + message_tokens(text)


async def summarize(chat: OpenAIChatCompletionBase, options: OpenAIChatPromptExecutionSettings, text: str) -> Summary:
    """A summary of the transcript `text`. Raises when the model fails or says nothing."""
    reply = await instructed.ask(chat, options, INSTRUCTIONS, text)
    if not reply.text.strip():
        raise RuntimeError("the model gave no summary")
    return Summary(reply.text.strip(), reply.tokens)


async def newest(turns: Sequence[Turn], count: int) -> list[Turn]:
    """The last `count` turns (Semantic Kernel's truncation, which never separates a tool call from its
    result)."""
    if count <= 0:
        return []
    reducer = ChatHistoryTruncationReducer(
        target_count=count,
        threshold_count=0,
        messages=[ChatMessageContent(role=AuthorRole(t.role), content=t.content) for t in turns],
    )
    reduced = await reducer.reduce()
    if reduced is None:
        return list(turns)
    return list(turns[len(turns) - len(reduced.messages) :])
