"""The user's memories, as a dependency."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.http.app_state import StateKey
from chat_api.user_memories.service import UserMemories

USER_MEMORIES: StateKey[UserMemories] = StateKey("user_memories")


async def _memories(request: Request) -> UserMemories:
    return USER_MEMORIES.of(request)


UserMemoriesDep = Annotated[UserMemories, Depends(_memories)]
