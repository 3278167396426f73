"""Share links. The owner's: POST /api/conversations/{id}/shares, GET /api/shares, DELETE /api/shares/{id}.
The viewers': GET /api/shared/{token}, which needs no account and never looks at one (no Authorization, no
cookie is read): a shared page is never served with anyone's session."""

import uuid
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from chat_api.auth.deps import CurrentUser, current_identity
from chat_api.http.deps import require_json
from chat_api.http.errors import ApiError, error_docs
from chat_api.limits.deps import LimitsDep
from chat_api.shares.deps import ShareServiceDep, ensure_account
from chat_api.shares.schemas import NewShare, ShareCreated, SharedConversation, SharePage
from chat_api.storage.paging import CURSOR_PATTERN

# Neither kept by a cache (shared or the browser's: a revoked link is gone at once) nor indexed by a search
# engine, nor named in the Referer of a link followed from it.
PRIVATE: Final = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}

router = APIRouter(
    prefix="/api",
    tags=["shares"],
    dependencies=[Depends(current_identity)],
    responses=error_docs(
        {
            401: "No valid access token (`unauthorized`).",
            404: "No such conversation, message or share link, or not yours (`not_found`): never told apart.",
            422: "A field is missing or malformed (`invalid_request`).",
        }
    ),
)
public_router = APIRouter(prefix="/api/shared", tags=["shares"])


@router.post(
    "/conversations/{conversation_id:uuid}/shares",
    summary="Share a branch of a conversation: a read-only link to it as it is now",
    status_code=201,
    dependencies=[Depends(require_json)],
    responses=error_docs(
        {
            403: "A guest may not share: sign in first (`sign_in_to_share`).",
            409: "An answer in the branch is still being written (`conflict`).",
            429: "Too many share links created this hour (`rate_limited`); see `Retry-After`.",
        }
    ),
)
async def create_share(
    conversation_id: uuid.UUID, body: NewShare, user: CurrentUser, service: ShareServiceDep, limits: LimitsDep
) -> ShareCreated:
    ensure_account(user)
    await limits.admit_share(user)
    return await service.create(user, conversation_id, body.message_id)


@router.get("/shares", summary="Your share links, the newest first, a page at a time")
async def list_shares(
    user: CurrentUser,
    service: ShareServiceDep,
    conversation_id: Annotated[uuid.UUID | None, Query(description="Only this conversation's links.")] = None,
    cursor: Annotated[
        str | None, Query(pattern=CURSOR_PATTERN, description="`next_cursor` of the page before.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> SharePage:
    return await service.page(user, conversation_id, cursor, limit)


@router.delete("/shares/{share_id:uuid}", summary="Revoke a share link: gone for its viewers at once", status_code=204)
async def revoke_share(share_id: uuid.UUID, user: CurrentUser, service: ShareServiceDep) -> Response:
    await service.revoke(user, share_id)
    return Response(status_code=204)


@public_router.get(
    "/{token:path}",
    summary="A shared conversation, read-only; no account needed (none is looked at)",
    responses=error_docs({404: "No such link, or revoked (`not_found`): every refusal alike, in the same time."}),
)
async def read_shared(token: str, service: ShareServiceDep, response: Response) -> SharedConversation:
    shared = await service.shared(token)
    if shared is None:
        raise ApiError(404, "not_found", "No such shared conversation: the link is wrong or was revoked.", PRIVATE)
    response.headers.update(PRIVATE)
    return shared
