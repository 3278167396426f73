"""The search service, as a dependency."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.http.app_state import StateKey
from chat_api.search.service import SearchService

SEARCH: StateKey[SearchService] = StateKey("search")


async def _search(request: Request) -> SearchService:
    return SEARCH.of(request)


SearchServiceDep = Annotated[SearchService, Depends(_search)]
