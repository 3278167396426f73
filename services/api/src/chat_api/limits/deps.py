"""The limits, as a dependency."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.http.app_state import StateKey
from chat_api.limits.service import Limits

LIMITS: StateKey[Limits] = StateKey("limits")


async def _limits(request: Request) -> Limits:
    return LIMITS.of(request)


LimitsDep = Annotated[Limits, Depends(_limits)]
