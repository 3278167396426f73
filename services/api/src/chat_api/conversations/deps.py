"""The conversation service, as a dependency."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.conversations.service import ConversationService
from chat_api.state import app_state


async def _conversations(request: Request) -> ConversationService:
    return app_state(request)["conversations"]


ConversationServiceDep = Annotated[ConversationService, Depends(_conversations)]
