"""The chat request's limits, which come from settings and so are checked here rather than in the schema. A
long history is not refused: memory fits it to the model's window (the body's size is nginx's and the api's
MAX_BODY_BYTES)."""

from typing import Annotated

from fastapi import Depends

from chat_api.chat.capabilities import check_options
from chat_api.chat.schemas import ChatRequest
from chat_api.http.deps import SettingsDep
from chat_api.http.errors import ApiError
from chat_api.settings import Settings


def check_limits(body: ChatRequest, settings: Settings) -> None:
    def fail(field: str, reason: str) -> ApiError:
        return ApiError(422, "invalid_request", f"{field}: {reason}")

    if not body.message.strip():
        raise fail("message", "must not be blank")
    if len(body.message) > settings.MAX_MESSAGE_CHARS:
        raise fail("message", f"must be at most {settings.MAX_MESSAGE_CHARS} characters")
    texts = [
        ("message", body.message),
        *((f"history[{i}].content", m.content) for i, m in enumerate(body.history)),
    ]
    for field, text in texts:
        if "\x00" in text:
            raise fail(field, "must not contain NUL characters")
    max_tokens = body.options.max_tokens
    if max_tokens is not None and max_tokens > settings.MAX_OUTPUT_TOKENS:
        raise fail("options.max_tokens", f"must be at most {settings.MAX_OUTPUT_TOKENS}")
    check_options(body.options, settings)


async def valid_chat_request(body: ChatRequest, settings: SettingsDep) -> ChatRequest:
    check_limits(body, settings)
    return body


ValidChatRequest = Annotated[ChatRequest, Depends(valid_chat_request)]
