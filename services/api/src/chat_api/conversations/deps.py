"""The conversation service, as a dependency."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.conversations.service import ConversationService
from chat_api.http.app_state import StateKey

CONVERSATIONS: StateKey[ConversationService] = StateKey("conversations")


async def _conversations(request: Request) -> ConversationService:
    return CONVERSATIONS.of(request)


ConversationServiceDep = Annotated[ConversationService, Depends(_conversations)]
