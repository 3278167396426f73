"""Memory, as a dependency."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.http.app_state import StateKey
from chat_api.memory.service import Memory

MEMORY: StateKey[Memory] = StateKey("memory")


async def _memory(request: Request) -> Memory:
    return MEMORY.of(request)


MemoryDep = Annotated[Memory, Depends(_memory)]
