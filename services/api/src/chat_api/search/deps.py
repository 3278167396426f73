"""The search service, as a dependency (it holds nothing but the worker's database sessions)."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.search.service import SearchService
from chat_api.state import app_state


async def _search(request: Request) -> SearchService:
    return SearchService(app_state(request)["sessions"])


SearchServiceDep = Annotated[SearchService, Depends(_search)]
