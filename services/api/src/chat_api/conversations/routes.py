"""/api/conversations: the signed-in user's conversations (list, create, read, rename, branches, delete, export,
import). Sending a message into one streams its answer: see `generations.routes`."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from chat_api.auth.deps import CurrentUser, current_identity
from chat_api.chat.models import model_entry
from chat_api.conversations import export
from chat_api.conversations.deps import ConversationServiceDep
from chat_api.conversations.schemas import (
    BranchChoice,
    ConversationChange,
    ConversationDetail,
    ConversationPage,
    ConversationView,
    Import,
    Imported,
    MessagePage,
    MessageView,
    NewConversation,
)
from chat_api.conversations.service import conversation_view
from chat_api.http.deps import SettingsDep, require_json
from chat_api.http.errors import error_docs
from chat_api.limits.deps import LimitsDep
from chat_api.storage.paging import CURSOR_PATTERN

ERRORS = error_docs(
    {
        401: "No valid access token (`unauthorized`).",
        404: "No such conversation, or not yours (`not_found`): the two are never told apart.",
        422: "A field is missing, malformed or over a limit (`invalid_request`).",
    }
)
router = APIRouter(
    prefix="/api/conversations", tags=["conversations"], dependencies=[Depends(current_identity)], responses=ERRORS
)
JsonBody = [Depends(require_json)]
MODEL_ERROR = error_docs(
    {400: "`model` is not an id of `GET /api/models` (`invalid_request`; the message lists them)."}
)


@router.get("", summary="Your conversations, the most recently active first, a page at a time")
async def list_conversations(
    user: CurrentUser,
    service: ConversationServiceDep,
    cursor: Annotated[
        str | None, Query(pattern=CURSOR_PATTERN, description="`next_cursor` of the page before.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
) -> ConversationPage:
    return await service.page(user, cursor, limit)


@router.post(
    "",
    summary="Start a conversation",
    status_code=201,
    dependencies=JsonBody,
    responses={
        **error_docs({429: "Too many conversations started this minute (`rate_limited`); see `Retry-After`."}),
        **MODEL_ERROR,
    },
)
async def create_conversation(
    body: NewConversation, user: CurrentUser, service: ConversationServiceDep, limits: LimitsDep, settings: SettingsDep
) -> ConversationView:
    model = model_entry(settings, body.model).id if body.model is not None else None
    await limits.admit_create(user)
    return await service.create(user, body.title, model)


@router.post(
    "/import",
    summary="Bring in conversations a browser kept before they lived on the server",
    status_code=201,
    dependencies=JsonBody,
    responses=error_docs({429: "Too many imports this hour (`rate_limited`); see `Retry-After`."}),
)
async def import_conversations(
    body: Import, user: CurrentUser, service: ConversationServiceDep, limits: LimitsDep
) -> Imported:
    await limits.admit_import(user)
    return await service.import_many(user, body.conversations)


@router.get("/{conversation_id:uuid}", summary="A conversation and the branch of messages it shows")
async def read_conversation(
    conversation_id: uuid.UUID, user: CurrentUser, service: ConversationServiceDep
) -> ConversationDetail:
    return await service.detail(user, conversation_id)


@router.patch(
    "/{conversation_id:uuid}",
    summary="Rename a conversation, switch its tools (or some MCP servers' tools) on or off, or pick its model",
    dependencies=JsonBody,
    responses=MODEL_ERROR,
)
async def change_conversation(
    conversation_id: uuid.UUID,
    body: ConversationChange,
    user: CurrentUser,
    service: ConversationServiceDep,
    settings: SettingsDep,
) -> ConversationView:
    model = model_entry(settings, body.model).id if body.model is not None else None
    return await service.change(user, conversation_id, body.title, body.tools_enabled, body.mcp_servers_off, model)


@router.put(
    "/{conversation_id:uuid}/branch", summary="Show another branch (a retried or edited turn)", dependencies=JsonBody
)
async def choose_branch(
    conversation_id: uuid.UUID, body: BranchChoice, user: CurrentUser, service: ConversationServiceDep
) -> ConversationDetail:
    return await service.choose_branch(user, conversation_id, body.message_id)


@router.get(
    "/{conversation_id:uuid}/messages", summary="Messages of the branch shown, before a message, a page at a time"
)
async def list_messages(
    conversation_id: uuid.UUID,
    user: CurrentUser,
    service: ConversationServiceDep,
    before: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MessagePage:
    return await service.messages(user, conversation_id, before, limit)


@router.get("/{conversation_id:uuid}/messages/{message_id:uuid}/siblings", summary="A message and its retries or edits")
async def message_siblings(
    conversation_id: uuid.UUID, message_id: uuid.UUID, user: CurrentUser, service: ConversationServiceDep
) -> list[MessageView]:
    return await service.siblings(user, conversation_id, message_id)


@router.delete("/{conversation_id:uuid}", summary="Delete a conversation and all its messages", status_code=204)
async def delete_conversation(
    conversation_id: uuid.UUID, user: CurrentUser, service: ConversationServiceDep
) -> Response:
    await service.delete(user, conversation_id)
    return Response(status_code=204)


@router.get(
    "/{conversation_id:uuid}/export",
    summary="Download a conversation: Markdown (the branch shown) or JSON (every message)",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {}, "application/json": {}}}},
)
async def export_conversation(
    conversation_id: uuid.UUID,
    user: CurrentUser,
    service: ConversationServiceDep,
    format: Annotated[Literal["markdown", "json"], Query()] = "markdown",
) -> Response:
    thread = await service.thread(user, conversation_id)
    conversation, branch = conversation_view(thread.conversation), export.branch_of(thread)
    if format == "json":
        body, media_type, name = (
            export.as_json(thread, branch),
            "application/json",
            export.filename(conversation.title, "json"),
        )
    else:
        body, media_type, name = (
            export.as_markdown(conversation, branch).encode(),
            "text/markdown; charset=utf-8",
            export.filename(conversation.title, "md"),
        )
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})
