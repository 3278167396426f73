"""One request the api makes for itself, not streamed and without tools: our instructions as the system message
(first, as every chat template accepts) and the text they apply to as the user's message (summaries, titles)."""

from dataclasses import dataclass

from semantic_kernel.connectors.ai.open_ai import OpenAIChatPromptExecutionSettings
from semantic_kernel.connectors.ai.open_ai.services.open_ai_chat_completion_base import OpenAIChatCompletionBase
from semantic_kernel.contents import AuthorRole, ChatHistory, ChatMessageContent


@dataclass(frozen=True)
class Reply:
    text: str  # empty when the model said nothing
    tokens: int | None  # the model's count (prompt and reply), None when it did not say


async def ask(
    chat: OpenAIChatCompletionBase, options: OpenAIChatPromptExecutionSettings, instructions: str, text: str
) -> Reply:
    history = ChatHistory(system_message=instructions)
    history.add_message(ChatMessageContent(role=AuthorRole.USER, content=text))
    replies = await chat.get_chat_message_contents(history, options)
    reply = replies[0] if replies else None
    if reply is None:
        return Reply("", None)
    usage = reply.metadata.get("usage")
    tokens = usage.prompt_tokens + usage.completion_tokens if usage is not None else None
    return Reply(reply.content or "", tokens)
