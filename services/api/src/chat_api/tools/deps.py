"""The worker's toolkit, as a dependency."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.http.app_state import StateKey
from chat_api.tools.toolkit import Toolkit

TOOLKIT: StateKey[Toolkit] = StateKey("toolkit")


async def _toolkit(request: Request) -> Toolkit:
    return TOOLKIT.of(request)


ToolkitDep = Annotated[Toolkit, Depends(_toolkit)]
