"""/api/search: the signed-in user's conversations, searched (titles and message text)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from chat_api.auth.deps import CurrentUser, current_identity
from chat_api.http.errors import error_docs
from chat_api.search.deps import SearchServiceDep
from chat_api.search.query import MAX_QUERY_CHARS
from chat_api.search.schemas import SearchPage
from chat_api.search.service import CURSOR_PATTERN, DEFAULT_LIMIT, MAX_LIMIT

router = APIRouter(
    prefix="/api/search",
    tags=["search"],
    dependencies=[Depends(current_identity)],
    responses=error_docs(
        {
            400: f"The query is longer than {MAX_QUERY_CHARS} characters (`invalid_request`).",
            401: "No valid access token (`unauthorized`).",
            422: "A parameter is missing or malformed (`invalid_request`).",
        }
    ),
)


@router.get("", summary="Search your conversations' titles and messages, best matches first")
async def search(
    user: CurrentUser,
    service: SearchServiceDep,
    q: Annotated[
        str,
        Query(
            description='Words (all must match), "a phrase", `or` between alternatives, `-word` to leave out. '
            f"At most {MAX_QUERY_CHARS} characters; blank: no hits."
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(pattern=CURSOR_PATTERN, description="`next_cursor` of the page before.")
    ] = None,
) -> SearchPage:
    return await service.search(user.user_id, q, limit, cursor)
