"""The chat service, as a dependency."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.chat.service import ChatService
from chat_api.http.app_state import StateKey

CHAT: StateKey[ChatService] = StateKey("chat")


async def _chat_service(request: Request) -> ChatService:
    return CHAT.of(request)


ChatServiceDep = Annotated[ChatService, Depends(_chat_service)]
