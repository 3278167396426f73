"""/api/me/memories: the facts the signed-in user asked the assistant to remember (saved by the `remember`
tool, with the user's approval): listed, deleted one by one or all at once."""

import uuid

from fastapi import APIRouter, Depends
from starlette.responses import Response

from chat_api.auth.deps import CurrentUser, current_identity
from chat_api.http.errors import error_docs
from chat_api.user_memories.deps import UserMemoriesDep
from chat_api.user_memories.schemas import MemoryList

router = APIRouter(
    prefix="/api/me/memories",
    tags=["memories"],
    dependencies=[Depends(current_identity)],
    responses=error_docs({401: "No valid access token (`unauthorized`)."}),
)


@router.get("", summary="Your saved memories, the newest first")
async def list_memories(user: CurrentUser, memories: UserMemoriesDep) -> MemoryList:
    return MemoryList(items=await memories.newest(user.user_id), limit=memories.max_per_user)


@router.delete(
    "/{memory_id:uuid}",
    summary="Forget one memory",
    status_code=204,
    responses=error_docs({404: "No such memory, or not yours (`not_found`): the two are never told apart."}),
)
async def delete_memory(memory_id: uuid.UUID, user: CurrentUser, memories: UserMemoriesDep) -> Response:
    await memories.delete(user.user_id, memory_id)
    return Response(status_code=204)


@router.delete("", summary="Forget every memory", status_code=204)
async def delete_memories(user: CurrentUser, memories: UserMemoriesDep) -> Response:
    await memories.delete_all(user.user_id)
    return Response(status_code=204)
