"""The share service, as a dependency: built per request from what the lifespan made (it holds nothing)."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.shares.service import ShareService
from chat_api.state import app_state


async def _shares(request: Request) -> ShareService:
    return ShareService(app_state(request)["sessions"])


ShareServiceDep = Annotated[ShareService, Depends(_shares)]
