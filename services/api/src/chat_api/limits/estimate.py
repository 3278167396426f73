"""What a request may cost before the model says: its prompt, estimated, plus the most it may answer;
settled to the model's own count when the answer ends."""

from chat_api.chat.images import images_tokens
from chat_api.chat.schemas import ChatRequest
from chat_api.chat.tokens import messages_tokens
from chat_api.settings import Settings


def prompt_tokens(request: ChatRequest, system_prompt: str) -> int:
    """The texts, and the images of the message and of its history (Azure's rule for their tokens)."""
    texts = messages_tokens([system_prompt, request.message, *(message.content for message in request.history)])
    return texts + images_tokens(request.images) + sum(images_tokens(message.images) for message in request.history)


def reservation(request: ChatRequest, settings: Settings, calls: int = 1, tools_tokens: int = 0) -> int:
    """`calls` model calls with this prompt (and `tools_tokens` of tool definitions in each), and the most the
    answer may be. (A round of tools writes little beside its calls: the answer's room is counted once.)"""
    most = request.options.max_tokens or settings.DEFAULT_MAX_TOKENS
    return (prompt_tokens(request, settings.SYSTEM_PROMPT) + tools_tokens) * calls + most
