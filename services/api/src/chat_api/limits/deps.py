"""The limits, as a dependency."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.limits.service import Limits
from chat_api.state import app_state


async def _limits(request: Request) -> Limits:
    return app_state(request)["limits"]


LimitsDep = Annotated[Limits, Depends(_limits)]
