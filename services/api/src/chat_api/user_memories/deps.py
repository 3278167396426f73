"""The user's memories, as a dependency (the service holds nothing but the worker's sessions and a bound)."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.state import app_state
from chat_api.user_memories.service import UserMemories


async def _memories(request: Request) -> UserMemories:
    state = app_state(request)
    return UserMemories(state["sessions"], state["settings"].MEMORIES_MAX_PER_USER)


UserMemoriesDep = Annotated[UserMemories, Depends(_memories)]
