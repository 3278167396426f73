"""Semantic Kernel's history reducers, as memory uses them: a summary of the older turns (the same model, not
streamed, with our instructions), or, when that cannot be had, the newest turns alone."""

from collections.abc import Sequence
from typing import Final

from semantic_kernel.connectors.ai.open_ai import OpenAIChatPromptExecutionSettings
from semantic_kernel.connectors.ai.open_ai.services.open_ai_chat_completion_base import OpenAIChatCompletionBase
from semantic_kernel.contents import AuthorRole, ChatMessageContent
from semantic_kernel.contents.history_reducer.chat_history_reducer_utils import SUMMARY_METADATA_KEY
from semantic_kernel.contents.history_reducer.chat_history_summarization_reducer import (
    ChatHistorySummarizationReducer,
)
from semantic_kernel.contents.history_reducer.chat_history_truncation_reducer import ChatHistoryTruncationReducer

from chat_api.memory.window import Turn

# A request to the model whose last message is a system message starting "Summarize" is a summarisation
# (the emulator answers those recognisably).
INSTRUCTIONS: Final = """Summarize the conversation above for the assistant who will continue it.
Write at most eight sentences, in the language of the conversation, as plain prose.
Keep what later turns may need: the user's goals and constraints, names, numbers, code identifiers,
decisions taken, questions still open. If the conversation begins with an earlier summary, carry its facts
forward. Do not add anything that was not said. Output only the summary."""
SUMMARY_PREFIX: Final = "Summary of the earlier conversation:\n"


def summary_message(text: str) -> Turn:
    """How a summary goes to the model: a system message before the turns it does not cover."""
    return Turn(None, "system", SUMMARY_PREFIX + text)


def _content(turn: Turn) -> ChatMessageContent:
    return ChatMessageContent(role=AuthorRole(turn.role), content=turn.content)


async def summarize(
    chat: OpenAIChatCompletionBase,
    options: OpenAIChatPromptExecutionSettings,
    previous: str | None,
    older: Sequence[Turn],
    kept: Sequence[Turn],
) -> str:
    """A summary of `previous` (an earlier summary, carried forward) and the `older` turns; `kept` follow them
    in the prompt and are not summarised. Raises when the model fails or says nothing."""
    messages = [_content(turn) for turn in (*older, *kept)]
    if previous is not None:
        # As Semantic Kernel keeps its own summaries: the assistant's (it leaves system messages out of what
        # it summarises), marked as a summary.
        earlier = ChatMessageContent(role=AuthorRole.ASSISTANT, content=SUMMARY_PREFIX + previous)
        earlier.metadata[SUMMARY_METADATA_KEY] = True
        messages.insert(0, earlier)
    reducer = ChatHistorySummarizationReducer(
        service=chat,
        target_count=max(1, len(kept)),
        threshold_count=0,
        summarization_instructions=INSTRUCTIONS,
        execution_settings=options,
        use_single_summary=True,
        fail_on_error=True,
        messages=messages,
    )
    reduced = await reducer.reduce()
    summary = reduced.messages[0] if reduced is not None else None
    if summary is None or not summary.metadata.get(SUMMARY_METADATA_KEY) or not summary.content.strip():
        raise RuntimeError("the model gave no summary")
    return summary.content.strip()


async def newest(turns: Sequence[Turn], count: int) -> list[Turn]:
    """The last `count` turns (Semantic Kernel's truncation, which never separates a tool call from its
    result)."""
    if count <= 0:
        return []
    reducer = ChatHistoryTruncationReducer(target_count=count, threshold_count=0, messages=[_content(t) for t in turns])
    reduced = await reducer.reduce()
    if reduced is None:
        return list(turns)
    return list(turns[len(turns) - len(reduced.messages) :])
