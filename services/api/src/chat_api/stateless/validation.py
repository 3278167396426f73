"""The chat request's limits, which come from settings and so are checked here rather than in the schema. A
long history is not refused: memory fits it to the model's window (the body's size is nginx's and the api's
MAX_BODY_BYTES)."""

from typing import Annotated

from fastapi import Depends

from chat_api.chat.message_check import check_message
from chat_api.chat.models import model_entry
from chat_api.chat.schemas import ChatRequest
from chat_api.http.deps import SettingsDep
from chat_api.settings import Settings


def check_limits(body: ChatRequest, settings: Settings) -> None:
    """422 for a limit broken; 400 for a model not configured."""
    history = ((f"history[{i}].content", message.content) for i, message in enumerate(body.history))
    model = model_entry(settings, body.model)
    check_message("message", body.message, body.options, settings, history, model)


async def valid_chat_request(body: ChatRequest, settings: SettingsDep) -> ChatRequest:
    check_limits(body, settings)
    return body


ValidChatRequest = Annotated[ChatRequest, Depends(valid_chat_request)]
