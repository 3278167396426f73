"""The chat service, as a dependency."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.chat.service import ChatService
from chat_api.state import app_state


async def _chat_service(request: Request) -> ChatService:
    return app_state(request)["chat"]


ChatServiceDep = Annotated[ChatService, Depends(_chat_service)]
