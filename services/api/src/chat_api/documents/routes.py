"""/api/conversations/{id}/files: the files attached to a conversation (upload, list with their states,
delete). Their text is what the `search_documents` tool searches."""

import re
import uuid
from typing import Annotated, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Request, UploadFile
from starlette.responses import Response, StreamingResponse

from chat_api.auth.deps import CurrentUser, current_identity
from chat_api.documents import sniff
from chat_api.documents.deps import DocumentServiceDep
from chat_api.documents.schemas import FileList, FileView
from chat_api.documents.service import Upload
from chat_api.http.errors import ApiError, error_docs

# The upload route's body may be as large as FILES_MAX_BYTES (and its multipart framing), not MAX_BODY_BYTES.
UPLOAD_PATH: Final = re.compile(r"^/api/conversations/[^/]+/files/?$")
MULTIPART_OVERHEAD_BYTES: Final = 64 * 1024

ERRORS = error_docs(
    {
        401: "No valid access token (`unauthorized`).",
        404: "No such conversation or file, or not yours (`not_found`).",
    }
)
UPLOAD_ERRORS = error_docs(
    {
        409: "The conversation holds FILES_MAX_PER_CONVERSATION files already (`too_many_files`).",
        413: "The file is over FILES_MAX_BYTES (`payload_too_large`), or your files together would be over "
        "FILES_MAX_BYTES_PER_USER (`files_quota_exceeded`).",
        415: "Not a PDF, text, Markdown, HTML, CSV, PNG, JPEG or WebP file, by its content (`unsupported_file_type`).",
        422: "No file, more than one, or an empty one (`invalid_request`, `empty_file`).",
        429: "Reading it would pass today's token budget (`quota_exceeded`).",
        503: "Documents are off on this server: its database cannot hold vectors (`documents_unavailable`).",
    }
)
router = APIRouter(
    prefix="/api/conversations/{conversation_id:uuid}/files",
    tags=["documents"],
    dependencies=[Depends(current_identity)],
    responses=ERRORS,
)


@router.post(
    "",
    summary="Attach a file to a conversation: stored, then read in the background (see its `status`)",
    status_code=201,
    responses={
        200: {"model": FileView, "description": "The same file was already attached: that one."},
        **UPLOAD_ERRORS,
    },
)
async def upload_file(
    conversation_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="One file; its type is read from its content.")],
    request: Request,
    response: Response,
    user: CurrentUser,
    service: DocumentServiceDep,
) -> FileView:
    form = await request.form()  # (already parsed for `file`: this reads the same)
    if len(form.getlist("file")) != 1:
        raise ApiError(422, "invalid_request", "file: send exactly one file per upload.")
    view, created = await service.upload(user, conversation_id, Upload(file.file, file.filename))
    if not created:
        response.status_code = 200
    return view


@router.get("", summary="The conversation's files, with their states (`embedding`: chunks done of total)")
async def list_files(conversation_id: uuid.UUID, user: CurrentUser, service: DocumentServiceDep) -> FileList:
    return FileList(items=await service.files(user, conversation_id))


CONTENT_ERRORS = error_docs(
    {
        401: "No valid access token (`unauthorized`).",
        404: "No such conversation or file, or not yours, or deleted (`not_found`).",
    }
)


def disposition(kind: str, name: str) -> str:
    """`inline` or `attachment`, with the file's name (RFC 6266: an ASCII name as is, any other encoded)."""
    quoted = quote(name, safe="")
    ascii_name = name.isascii() and quoted == quote(name, safe=" !#$&'()+,-.;=@[]^_`{}~")
    return f'{kind}; filename="{name}"' if ascii_name else f"{kind}; filename*=UTF-8''{quoted}"


@router.get(
    "/{file_id:uuid}/content",
    summary="A file's bytes as uploaded (images inline, anything else as a download)",
    description="`Content-Type` is the type read from the content at upload; `Content-Disposition` is `inline` for "
    "images (PNG, JPEG, WebP) and `attachment` for anything else; `X-Content-Type-Options: nosniff`. Streamed from "
    "storage a piece at a time.",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The bytes."}, **CONTENT_ERRORS},
)
async def file_content(
    conversation_id: uuid.UUID, file_id: uuid.UUID, user: CurrentUser, service: DocumentServiceDep
) -> StreamingResponse:
    file = await service.file(user, conversation_id, file_id)
    kind = "inline" if file.media_type in sniff.IMAGES else "attachment"
    headers = {
        "Content-Type": file.media_type,  # as read (a text file's encoding is its own: no charset is added)
        "Content-Length": str(file.size_bytes),
        "Content-Disposition": disposition(kind, file.name),
        "X-Content-Type-Options": "nosniff",
        # The bytes never change under an id; another user's cache may never keep them. Whatever a browser is
        # made to render of them runs nothing and loads nothing.
        "Cache-Control": "private, max-age=86400, immutable",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    return StreamingResponse(service.pieces(file.id), headers=headers)


@router.delete(
    "/{file_id:uuid}",
    summary="Delete a file, with its text, chunks and vectors",
    status_code=204,
    response_class=Response,
)
async def delete_file(
    conversation_id: uuid.UUID, file_id: uuid.UUID, user: CurrentUser, service: DocumentServiceDep
) -> Response:
    await service.delete(user, conversation_id, file_id)
    return Response(status_code=204)
