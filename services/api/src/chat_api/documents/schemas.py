"""What the files routes send."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from chat_api.storage.models import StoredFile

FileState = Literal["uploaded", "extracting", "embedding", "ready", "failed"]


class FileView(BaseModel):
    id: uuid.UUID
    name: str = Field(description="As uploaded, made safe: no folders, no control characters, at most 255 long.")
    media_type: str = Field(description="Read from the content, not from the name or the upload's header.")
    size_bytes: int
    status: FileState
    reason: str | None = Field(None, description="Why it failed (status `failed`).")
    pages: int | None = Field(None, description="A PDF's pages.")
    chunks_done: int = Field(description="Chunks embedded so far (status `embedding`: the progress).")
    chunks_total: int | None = Field(None, description="Chunks of its text, once extracted.")
    created_at: datetime


class FileList(BaseModel):
    items: list[FileView]


def file_view(file: StoredFile) -> FileView:
    return FileView(
        id=file.id,
        name=file.name,
        media_type=file.media_type,
        size_bytes=file.size_bytes,
        status=file.status,
        reason=file.reason,
        pages=file.pages,
        chunks_done=file.chunks_done,
        chunks_total=file.chunks_total,
        created_at=file.created_at,
    )
