"""A conversation's files: upload (checked, stored in pieces, its ingestion queued), list, delete. The upload
arrives spooled by the multipart parser (in memory up to 1 MB, then on disk): it is read here a piece at a
time, never whole."""

import hashlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import BinaryIO, Final

import anyio
from sqlalchemy import ColumnElement, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_api.auth.tokens import Identity
from chat_api.conversations.service import owned
from chat_api.documents import sniff
from chat_api.documents.budget import check_room, estimated_tokens
from chat_api.documents.names import safe_name
from chat_api.documents.schemas import FileView, file_view
from chat_api.http.errors import ApiError
from chat_api.limits.service import Limits
from chat_api.settings import Settings
from chat_api.storage.engine import Sessions
from chat_api.storage.models import FileBlob, FileStatus, IngestJob, StoredFile

PIECE_BYTES: Final = 256 * 1024  # what a stored piece (a `file_blobs` row) and a read hold


@dataclass(frozen=True)
class Upload:
    """An uploaded file as the route has it: its (spooled) content and the name it came with."""

    content: BinaryIO
    name: str | None


def unavailable() -> ApiError:
    return ApiError(
        503,
        "documents_unavailable",
        "Documents are switched off on this server (its database cannot hold vectors).",
    )


def _digest(content: BinaryIO, limit: int) -> tuple[str, int, bytes]:
    """SHA-256 (hex), size and the first bytes of the content, read a piece at a time; a 413 past `limit`."""
    content.seek(0)
    digest, size, head = hashlib.sha256(), 0, b""
    while piece := content.read(PIECE_BYTES):
        if not head:
            head = piece[: sniff.SNIFF_BYTES]
        size += len(piece)
        if size > limit:
            raise ApiError(413, "payload_too_large", f"The file is larger than {limit:,} bytes, the most allowed.")
        digest.update(piece)
    return digest.hexdigest(), size, head


def _theirs(identity: Identity, conversation_id: uuid.UUID, file_id: uuid.UUID) -> tuple[ColumnElement[bool], ...]:
    """The file `file_id`, only as one of the user's in this conversation."""
    return (
        StoredFile.id == file_id,
        StoredFile.conversation_id == conversation_id,
        StoredFile.user_id == identity.user_id,
    )


class DocumentService:
    def __init__(
        self, sessions: Sessions, limits: Limits, settings: Settings, wake: Callable[[], None], available: bool
    ) -> None:
        self.sessions = sessions
        self.limits = limits
        self.settings = settings
        self.wake = wake
        self.available = available

    async def upload(self, identity: Identity, conversation_id: uuid.UUID, upload: Upload) -> tuple[FileView, bool]:
        """The file stored and queued; or the same file already in this conversation (then False: not new)."""
        async with self.sessions.autocommit() as session:
            await owned(session, identity, conversation_id)
        if not self.available:
            raise unavailable()
        sha256, size, head = await anyio.to_thread.run_sync(_digest, upload.content, self.settings.FILES_MAX_BYTES)
        if size == 0:
            raise ApiError(422, "empty_file", "The file is empty.")
        name = safe_name(upload.name)
        media_type = sniff.media_type(head, name)
        if media_type is None:
            accepted = ", ".join(sniff.ACCEPTED)
            raise ApiError(415, "unsupported_file_type", f"This kind of file cannot be read. Accepted: {accepted}.")
        await check_room(self.limits, identity, estimated_tokens(media_type, size))
        async with self.sessions.begin() as session:
            await owned(session, identity, conversation_id)  # (still there: a delete meanwhile fails the insert)
            same = await session.scalar(
                select(StoredFile).where(
                    StoredFile.user_id == identity.user_id,
                    StoredFile.conversation_id == conversation_id,
                    StoredFile.sha256 == sha256,
                )
            )
            if same is not None:
                return file_view(same), False
            await self._check_room(session, identity, conversation_id, size)
            file = StoredFile(
                user_id=identity.user_id,
                conversation_id=conversation_id,
                name=name,
                media_type=media_type,
                size_bytes=size,
                sha256=sha256,
                status=FileStatus.UPLOADED,
            )
            session.add(file)
            await session.flush()
            upload.content.seek(0)
            ordinal = 0
            while piece := upload.content.read(PIECE_BYTES):
                await session.execute(insert(FileBlob).values(file_id=file.id, ordinal=ordinal, data=piece))
                ordinal += 1
            session.add(IngestJob(file_id=file.id))
        self.wake()
        return file_view(file), True

    async def _check_room(
        self, session: AsyncSession, identity: Identity, conversation_id: uuid.UUID, size: int
    ) -> None:
        count = await session.scalar(
            select(func.count()).select_from(StoredFile).where(StoredFile.conversation_id == conversation_id)
        )
        most = self.settings.FILES_MAX_PER_CONVERSATION
        if (count or 0) >= most:
            raise ApiError(409, "too_many_files", f"A conversation holds at most {most} files: delete one first.")
        used = await session.scalar(
            select(func.coalesce(func.sum(StoredFile.size_bytes), 0)).where(StoredFile.user_id == identity.user_id)
        )
        room = self.settings.FILES_MAX_BYTES_PER_USER
        if int(used or 0) + size > room:
            raise ApiError(
                413,
                "files_quota_exceeded",
                f"Your files would take more than the {room:,} bytes you may keep ({int(used or 0):,} used): "
                "delete some first.",
            )

    async def files(self, identity: Identity, conversation_id: uuid.UUID) -> list[FileView]:
        async with self.sessions.autocommit() as session:
            await owned(session, identity, conversation_id)
            found = await session.scalars(
                select(StoredFile)
                .where(StoredFile.conversation_id == conversation_id, StoredFile.user_id == identity.user_id)
                .order_by(StoredFile.created_at, StoredFile.id)
            )
            return [file_view(file) for file in found]

    async def file(self, identity: Identity, conversation_id: uuid.UUID, file_id: uuid.UUID) -> StoredFile:
        """One of the user's files in this conversation: else a 404 (another user's is not told apart from none)."""
        async with self.sessions.autocommit() as session:
            await owned(session, identity, conversation_id)
            file = await session.scalar(select(StoredFile).where(*_theirs(identity, conversation_id, file_id)))
        if file is None:
            raise ApiError(404, "not_found", "No such file.")
        return file

    async def pieces(self, file_id: uuid.UUID) -> AsyncIterator[bytes]:
        """A file's bytes a stored piece at a time, each read on its own (no connection held between them): a
        response holds one piece at once. Ends early if the file is deleted meanwhile."""
        ordinal = 0
        while True:
            async with self.sessions.autocommit() as session:
                piece = await session.scalar(
                    select(FileBlob.data).where(FileBlob.file_id == file_id, FileBlob.ordinal == ordinal)
                )
            if piece is None:
                return
            yield piece
            ordinal += 1

    async def delete(self, identity: Identity, conversation_id: uuid.UUID, file_id: uuid.UUID) -> None:
        """The file, its bytes, chunks, vectors and job (by the foreign keys' cascade)."""
        async with self.sessions.begin() as session:
            await owned(session, identity, conversation_id)
            deleted = await session.execute(delete(StoredFile).where(*_theirs(identity, conversation_id, file_id)))
            if not deleted.rowcount:  # type: ignore[attr-defined]
                raise ApiError(404, "not_found", "No such file.")
