"""Memory, as a dependency."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.memory.service import Memory
from chat_api.state import app_state


async def _memory(request: Request) -> Memory:
    return app_state(request)["memory"]


MemoryDep = Annotated[Memory, Depends(_memory)]
