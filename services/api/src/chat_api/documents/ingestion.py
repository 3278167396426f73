"""One file's ingestion, from its bytes to searchable chunks: extract (in a thread, bounded), chunk, charge the
user, embed in batches (progress saved after each), ready. Resumable: chunks are saved before any is embedded,
and only those without a vector are embedded, so a job taken again after a crash goes on where it stopped.
Whatever goes wrong ends as a `failed` file with a reason, never as a worker's crash or a file left
"processing"; only a database out of reach leaves the job for a later claim."""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import anyio
from sqlalchemy import String, Text, Uuid, bindparam, delete, exc, insert, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from chat_api.documents import sniff
from chat_api.documents.attachments import file_bytes, make_rendition
from chat_api.documents.budget import identity_of
from chat_api.documents.chunking import Piece, chunk
from chat_api.documents.embedder import Embedder, EmbeddingFailed
from chat_api.documents.extract import Bounds, Extracted, Unreadable, extract
from chat_api.documents.images import BadImage
from chat_api.documents.index import ChunkIndex
from chat_api.documents.jobs import Claim, Jobs
from chat_api.http.errors import ApiError
from chat_api.limits.limiter import LimitRefused
from chat_api.limits.service import Limits
from chat_api.settings import Settings
from chat_api.storage.engine import Sessions
from chat_api.storage.models import Chunk, FileStatus, IngestJob, StoredFile, utcnow
from chat_api.storage.outage import is_unreachable

logger = logging.getLogger("chat_api.documents")

# (the vector column is the database's own, outside the models: see storage.search_index)
UNEMBEDDED = (
    text("SELECT id, heading, text FROM chunks WHERE file_id = :file AND embedding IS NULL ORDER BY ordinal LIMIT :n")
    .bindparams(bindparam("file", type_=Uuid()))
    .columns(id=Uuid(), heading=String(), text=Text())
)
EMBEDDED = text("SELECT count(*) FROM chunks WHERE file_id = :file AND embedding IS NOT NULL").bindparams(
    bindparam("file", type_=Uuid())
)


class Failed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FileGone(Exception):
    """The file was deleted while it was being read: nothing left to do."""


@dataclass(frozen=True)
class IngestSettings:
    bounds: Bounds
    chunk_tokens: int
    overlap_tokens: int
    batch_size: int
    max_attempts: int

    @classmethod
    def of(cls, settings: Settings) -> "IngestSettings":
        return cls(
            Bounds(settings.PDF_MAX_PAGES, settings.EXTRACT_MAX_CHARS, settings.EXTRACT_TIMEOUT_S),
            settings.CHUNK_TOKENS,
            settings.CHUNK_OVERLAP_TOKENS,
            settings.EMBEDDING_BATCH_SIZE,
            settings.INGEST_MAX_ATTEMPTS,
        )


class Ingestion:
    def __init__(
        self,
        sessions: Sessions,
        jobs: Jobs,
        index: ChunkIndex,
        embedder: Embedder,
        limits: Limits,
        settings: IngestSettings,
    ) -> None:
        self.sessions = sessions
        self.jobs = jobs
        self.index = index
        self.embedder = embedder
        self.limits = limits
        self.settings = settings

    async def run(self, claim: Claim) -> None:
        try:
            if claim.attempt > self.settings.max_attempts:
                raise Failed(f"Reading the file was interrupted {claim.attempt - 1} times; it was given up.")
            async with self._leased(claim.file_id):
                await self._ingest(claim.file_id)
        except FileGone:
            pass
        except Failed as failure:
            await self._fail(claim.file_id, failure.reason)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.jobs.release(claim.file_id))
            raise
        except Exception as error:
            if isinstance(error, exc.DBAPIError | exc.OperationalError) and is_unreachable(error):
                logger.warning("database out of reach while ingesting a file: left for a later claim")
                return
            logger.exception("ingesting a file failed")
            await self._fail(claim.file_id, "The file could not be processed.")

    @contextlib.asynccontextmanager
    async def _leased(self, file_id: uuid.UUID) -> AsyncIterator[None]:
        """Renew the job's lease while the block runs; the block is cancelled (FileGone) if the job goes."""
        task = asyncio.current_task()
        gone = False

        async def renew() -> None:
            nonlocal gone
            interval = self.jobs.lease.total_seconds() / 3
            while True:
                await asyncio.sleep(interval)
                with contextlib.suppress(exc.SQLAlchemyError):
                    if not await self.jobs.renew(file_id):
                        gone = True
                        if task is not None:
                            task.cancel()
                        return

        renewer = asyncio.create_task(renew(), name="ingest-lease")
        try:
            yield
        except asyncio.CancelledError:
            if gone and task is not None:
                task.uncancel()  # (our own cancel, taken back: the worker's loop goes on as if never cancelled)
                raise FileGone() from None
            raise
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer

    async def _ingest(self, file_id: uuid.UUID) -> None:
        async with self.sessions.autocommit() as session:
            file = await session.get(StoredFile, file_id)
        if file is None:
            raise FileGone()
        if file.chunks_total is None:
            await self._set(file_id, status=FileStatus.EXTRACTING)
            if file.media_type in sniff.IMAGES:  # for the model's eyes, not for search: its rendition, no chunks
                await self._render(file)
                await self._finish(file_id, status=FileStatus.READY, chunks_total=0)
                return
            pieces, pages = await self._read(file)
            if not pieces:
                raise Failed("No text was found in the file (a scan without a text layer?).")
            await self._charge(file, pieces)
            await self._save_chunks(file_id, pieces, pages)
        await self._embed_all(file_id)
        await self._settle(file_id)
        await self._finish(file_id, status=FileStatus.READY)

    async def _read(self, file: StoredFile) -> tuple[list[Piece], int | None]:
        data = await self._bytes(file.id)
        bounds = self.settings.bounds
        try:
            with anyio.fail_after(bounds.timeout_s + 1):  # (the thread checks the time between pages itself)
                extracted: Extracted = await anyio.to_thread.run_sync(extract, data, file.media_type, bounds)
        except TimeoutError:
            raise Failed(f"Reading the file took longer than {bounds.timeout_s:g} s.") from None
        except Unreadable as unreadable:
            raise Failed(unreadable.reason) from None
        pieces = chunk(
            extracted.sections,
            markdown=file.media_type == sniff.MARKDOWN,
            size=self.settings.chunk_tokens,
            overlap=self.settings.overlap_tokens,
        )
        return pieces, extracted.pages

    async def _render(self, file: StoredFile) -> None:
        """The image checked and scaled for the model, its rendition kept."""
        try:
            await make_rendition(self.sessions, file.id, self.settings.bounds.timeout_s)
        except BadImage as bad:
            raise Failed(bad.reason) from None

    async def _bytes(self, file_id: uuid.UUID) -> bytes:
        return await file_bytes(self.sessions, file_id)

    async def _charge(self, file: StoredFile, pieces: list[Piece]) -> None:
        identity = await identity_of(self.sessions, file.user_id)
        if identity is None:
            raise FileGone()
        tokens = sum(piece.tokens for piece in pieces)
        try:
            await self.limits.charge(identity, tokens)
        except LimitRefused as refused:
            raise Failed(
                f"Reading this file takes about {tokens:,} tokens, more than is left of today's budget. "
                "Upload it again after midnight UTC."
                if refused.limit == "tokens_per_day"
                else refused.message
            ) from None
        except ApiError as refused:  # (Redis out of reach: nothing may be spent unmetered)
            raise Failed(refused.message) from None

    async def _save_chunks(self, file_id: uuid.UUID, pieces: list[Piece], pages: int | None) -> None:
        rows = [
            {
                "id": uuid.uuid4(),
                "file_id": file_id,
                "ordinal": ordinal,
                "page": piece.page,
                "heading": piece.heading,
                "text": piece.text,
                "tokens": piece.tokens,
            }
            for ordinal, piece in enumerate(pieces)
        ]
        async with self.sessions.begin() as session:
            if await session.get(StoredFile, file_id) is None:
                raise FileGone()
            await session.execute(delete(Chunk).where(Chunk.file_id == file_id))
            await session.execute(insert(Chunk), rows)
            await self._update(
                session, file_id, status=FileStatus.EMBEDDING, chunks_total=len(rows), chunks_done=0, pages=pages
            )

    async def _embed_all(self, file_id: uuid.UUID) -> None:
        await self._set(file_id, status=FileStatus.EMBEDDING)
        while True:
            async with self.sessions.autocommit() as session:
                batch = (await session.execute(UNEMBEDDED, {"file": file_id, "n": self.settings.batch_size})).all()
            if not batch:
                return
            texts = [Piece(row.text, None, row.heading, 0).embedded_text for row in batch]
            try:
                vectors = await self.embedder.embed(texts)
            except EmbeddingFailed as failure:
                raise Failed(failure.reason) from None
            async with self.sessions.begin() as session:
                await self.index.store(session, [row.id for row in batch], vectors)
                done = await session.scalar(EMBEDDED, {"file": file_id})
                await self._update(session, file_id, chunks_done=int(done or 0))

    async def _settle(self, file_id: uuid.UUID) -> None:
        """The index made ready for the file's first search; a failure there leaves it slower, not failed."""
        try:
            async with self.sessions.autocommit() as session:
                added = await session.scalar(EMBEDDED, {"file": file_id})  # every chunk, once `_embed_all` is done
                await self.index.settle(session, int(added or 0))
        except exc.SQLAlchemyError as error:
            logger.warning("the chunks' statistics were not refreshed: %s", type(error).__name__)

    async def _set(self, file_id: uuid.UUID, **values: object) -> None:
        async with self.sessions.begin() as session:
            await self._update(session, file_id, **values)

    @staticmethod
    async def _update(session: AsyncSession, file_id: uuid.UUID, **values: object) -> None:
        changed = await session.execute(
            update(StoredFile).where(StoredFile.id == file_id).values(**values, updated_at=utcnow())
        )
        if not changed.rowcount:  # type: ignore[attr-defined]
            raise FileGone()

    async def _finish(self, file_id: uuid.UUID, **values: object) -> None:
        """The file's last state and the end of its job, at once: no reader sees one without the other."""
        async with self.sessions.begin() as session:
            await session.execute(delete(IngestJob).where(IngestJob.file_id == file_id))
            if values.get("status") == FileStatus.FAILED:  # what a failed file holds of text is of no use
                await session.execute(delete(Chunk).where(Chunk.file_id == file_id))
            await self._update(session, file_id, **values)

    async def _fail(self, file_id: uuid.UUID, reason: str) -> None:
        with contextlib.suppress(FileGone):
            await self._finish(file_id, status=FileStatus.FAILED, reason=reason[:500])
        logger.info("a file failed: %s", reason)
