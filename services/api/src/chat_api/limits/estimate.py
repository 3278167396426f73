"""What a request may cost before the model says: its prompt, estimated, plus the most it may answer.

About four characters a token for the text, and a few tokens a message for the chat format: generous for
English, and settled to the model's own count when the answer ends.
"""

from chat_api.chat.schemas import ChatRequest
from chat_api.settings import Settings

CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4


def prompt_tokens(request: ChatRequest, system_prompt: str) -> int:
    texts = [system_prompt, request.message, *(message.content for message in request.history)]
    chars = sum(len(text) for text in texts)
    return -(-chars // CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * len(texts)


def reservation(request: ChatRequest, settings: Settings) -> int:
    most = request.options.max_tokens or settings.DEFAULT_MAX_TOKENS
    return prompt_tokens(request, settings.SYSTEM_PROMPT) + most
