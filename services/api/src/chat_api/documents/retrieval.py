"""Hybrid search over a conversation's ready files: the nearest chunks by vector and the best full-text
matches, fused by reciprocal rank fusion; each passage with its file and page. The query's embedding is charged
to the user's budget like an answer's tokens. When the files' whole text is small, it is all of it instead."""

import uuid
from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, select

from chat_api.auth.tokens import Identity
from chat_api.chat.tokens import text_tokens
from chat_api.documents.embedder import Embedder
from chat_api.documents.fusion import reciprocal_rank_fusion
from chat_api.documents.index import ChunkIndex
from chat_api.limits.limiter import LimitRefused
from chat_api.limits.service import Limits
from chat_api.storage.engine import Sessions
from chat_api.storage.models import Chunk, FileStatus, StoredFile

CANDIDATES: Final = 20  # from each ranking, before fusion
# Up to this many chunks in the conversation's files, every vector is compared (about 6 ms at 1,200 on Postgres,
# bench/docs_rounds.py): exact, where the approximate index could miss one; beyond, the index.
EXACT_MAX_CHUNKS: Final = 2000


@dataclass(frozen=True)
class Passage:
    chunk_id: uuid.UUID
    file_id: uuid.UUID
    file_name: str
    page: int | None
    heading: str | None
    text: str


class SearchRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DocumentSearch:
    def __init__(self, sessions: Sessions, index: ChunkIndex, embedder: Embedder, limits: Limits) -> None:
        self.sessions = sessions
        self.index = index
        self.embedder = embedder
        self.limits = limits

    async def ready_files(self, user_id: uuid.UUID, conversation_id: uuid.UUID) -> dict[uuid.UUID, str]:
        return (await self._ready(user_id, conversation_id))[0]

    async def _ready(self, user_id: uuid.UUID, conversation_id: uuid.UUID) -> tuple[dict[uuid.UUID, str], int]:
        """The conversation's ready files with chunks (id -> name), and how many chunks they hold."""
        async with self.sessions.autocommit() as session:
            rows = (
                await session.execute(
                    select(StoredFile.id, StoredFile.name, StoredFile.chunks_total).where(
                        StoredFile.user_id == user_id,
                        StoredFile.conversation_id == conversation_id,
                        StoredFile.status == FileStatus.READY,
                        StoredFile.chunks_total > 0,
                    )
                )
            ).all()
        return {row.id: row.name for row in rows}, sum(row.chunks_total or 0 for row in rows)

    async def search(self, identity: Identity, conversation_id: uuid.UUID, query: str, limit: int = 5) -> list[Passage]:
        """The best `limit` passages; empty when the conversation has no ready file (raises `EmbeddingFailed`
        when the query cannot be embedded, `SearchRefused` when the user's budget cannot pay for it)."""
        files, scope = await self._ready(identity.user_id, conversation_id)
        if not files:
            return []
        try:
            await self.limits.charge(identity, text_tokens(query))
        except LimitRefused as refused:
            raise SearchRefused(f"The documents cannot be searched: {refused.message}") from None
        vector = (await self.embedder.embed([query]))[0]
        async with self.sessions.autocommit() as session:
            nearest = await self.index.nearest(
                session, list(files), vector, CANDIDATES, exact=scope <= EXACT_MAX_CHUNKS
            )
            matching = await self.index.matching(session, list(files), query, CANDIDATES)
            best = reciprocal_rank_fusion([nearest, matching])[:limit]
            chunks = {chunk.id: chunk for chunk in await session.scalars(select(Chunk).where(Chunk.id.in_(best)))}
        return [
            Passage(chunk.id, chunk.file_id, files[chunk.file_id], chunk.page, chunk.heading, chunk.text)
            for chunk in (chunks[id_] for id_ in best if id_ in chunks)
        ]

    async def whole(self, user_id: uuid.UUID, conversation_id: uuid.UUID, max_tokens: int) -> list[Passage]:
        """All the passages of the conversation's ready files, in order, when together they take at most
        `max_tokens`; else (or without files) none."""
        if max_tokens <= 0:
            return []
        ready = (
            StoredFile.user_id == user_id,
            StoredFile.conversation_id == conversation_id,
            StoredFile.status == FileStatus.READY,
        )
        async with self.sessions.autocommit() as session:  # one query for a send into a conversation without files
            total = await session.scalar(
                select(func.sum(Chunk.tokens)).join(StoredFile, StoredFile.id == Chunk.file_id).where(*ready)
            )
            if total is None or total > max_tokens:
                return []
            rows = await session.execute(
                select(Chunk, StoredFile.name)
                .join(StoredFile, StoredFile.id == Chunk.file_id)
                .where(*ready)
                .order_by(StoredFile.created_at, Chunk.ordinal)
            )
            return [Passage(c.id, c.file_id, name, c.page, c.heading, c.text) for c, name in rows]
