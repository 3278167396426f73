"""Titles, as a dependency."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.http.app_state import StateKey
from chat_api.titles.service import Titles

TITLES: StateKey[Titles] = StateKey("titles")


async def _titles(request: Request) -> Titles:
    return TITLES.of(request)


TitlesDep = Annotated[Titles, Depends(_titles)]
