"""Where the chunks' vectors and full-text index live, per database (migration 0012):
- Postgres: pgvector's `vector(N)`, nearest by cosine distance (`<=>`, HNSW where the extension has it), and the
  generated `tsvector`, matched with `websearch_to_tsquery` and ranked by `ts_rank_cd`. Both bounded for a
  conversation of 100,000 chunks (#31's benchmark): the HNSW scan goes on past the conversation's filter
  (pgvector 0.8's iterative scan: without it, a conversation holding a tenth of the table got 2 of its 20
  nearest chunks), and the full-text half ranks only chunks that hold a word few chunks hold (`commonness`),
  at most MOST_RANKED of them (ranking reads each one's tsvector from TOAST: 25 to 120 µs a chunk).
- SQLite: float32 blobs, scored exactly in numpy (a conversation's files hold thousands of chunks at most: a
  few milliseconds), and the FTS5 table, ranked by BM25.
Vectors travel to Postgres as pgvector's text form, cast in SQL (the driver has no codec for the type)."""

import uuid
from collections.abc import Callable, Sequence
from typing import Final, Protocol

import numpy as np
from sqlalchemy import Executable, LargeBinary, Uuid, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from chat_api.documents.commonness import Commonness, telling
from chat_api.documents.terms import fts5_query, search_terms, websearch_query


class DocumentsUnavailable(Exception):
    """The database cannot hold vectors (Postgres without pgvector)."""


class ChunkIndex(Protocol):
    async def store(self, session: AsyncSession, ids: Sequence[uuid.UUID], vectors: np.ndarray) -> None: ...

    async def settle(self, session: AsyncSession, added: int) -> None:
        """After a file's `added` chunks are stored, before it is ready: what its first search needs."""

    async def nearest(
        self, session: AsyncSession, files: Sequence[uuid.UUID], vector: np.ndarray, limit: int, exact: bool = False
    ) -> list[uuid.UUID]:
        """The `limit` chunks of `files` nearest to `vector`; `exact`: every vector compared (no approximate index)."""
        ...

    async def matching(
        self, session: AsyncSession, files: Sequence[uuid.UUID], query: str, limit: int
    ) -> list[uuid.UUID]: ...


def _vector_text(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{value:.7g}" for value in vector.tolist()) + "]"


_FILES: Final = bindparam("files", expanding=True, type_=Uuid())


async def _matching(
    session: AsyncSession,
    statement: Executable,
    files: Sequence[uuid.UUID],
    spelled: Callable[[list[str]], str],
    query: str,
    limit: int,
) -> list[uuid.UUID]:
    """The full-text half: the query's words, `spelled` for this database's syntax, matched by `statement`."""
    terms = search_terms(query)
    if not terms:
        return []
    return list(await session.scalars(statement, {"files": list(files), "query": spelled(terms), "limit": limit}))


ITERATIVE_SCAN_SINCE: Final = (0, 8)  # pgvector's first with hnsw.iterative_scan
MOST_RANKED: Final = 200
# A file that adds more than this share of the chunks the planner knows of has its statistics taken at once
# (autovacuum's analyze threshold, without its minute's wait: a user asks about a file as soon as it is ready).
ANALYZE_SHARE: Final = 0.1


class PostgresIndex:
    STORE: Final = text(
        "UPDATE chunks SET embedding = CAST(CAST(:vector AS text) AS vector) WHERE id = :id"
    ).bindparams(bindparam("id", type_=Uuid()))
    NEAREST: Final = text(
        "SELECT id FROM chunks WHERE file_id IN :files AND embedding IS NOT NULL "
        "ORDER BY embedding <=> CAST(CAST(:vector AS text) AS vector) LIMIT :limit"
    ).bindparams(_FILES)
    # `+ 0`: an order no index can give, so Postgres compares every vector of the files (exact, for small scopes:
    # HNSW's walk can miss a chunk among many near-identical ones, as a file of repeated boilerplate has).
    NEAREST_EXACT: Final = text(
        "SELECT id FROM chunks WHERE file_id IN :files AND embedding IS NOT NULL "
        "ORDER BY (embedding <=> CAST(CAST(:vector AS text) AS vector)) + 0 LIMIT :limit"
    ).bindparams(_FILES)
    # Exact order (`strict_order`): the fusion reads the ranks. Set on the pooled connection, where only this
    # statement scans HNSW.
    ITERATIVE_SCAN: Final = text("SET hnsw.iterative_scan = strict_order")
    MATCHING: Final = text(
        "SELECT id FROM (SELECT id, ordinal, search_vector FROM chunks "
        "  WHERE file_id IN :files AND search_vector @@ websearch_to_tsquery('simple', :query) LIMIT :most) AS found, "
        "websearch_to_tsquery('simple', :query) AS query "
        "ORDER BY ts_rank_cd(search_vector, query) DESC, ordinal LIMIT :limit"
    ).bindparams(_FILES)

    KNOWN_ROWS: Final = text("SELECT reltuples FROM pg_class WHERE oid = 'chunks'::regclass")
    ANALYZE: Final = text("ANALYZE chunks")

    def __init__(self, iterative_scan: bool = False) -> None:
        self.iterative_scan = iterative_scan
        self.commonness = Commonness()

    async def store(self, session: AsyncSession, ids: Sequence[uuid.UUID], vectors: np.ndarray) -> None:
        rows = [{"id": id_, "vector": _vector_text(vector)} for id_, vector in zip(ids, vectors, strict=True)]
        await session.execute(self.STORE, rows)

    async def settle(self, session: AsyncSession, added: int) -> None:
        """Statistics that count the new file's chunks, when it is a large share of the table (a first file
        above all): planned on stale ones, the nearest-chunk query estimated a 1,200-chunk file at 22 rows and
        read every vector of it, 36 ms instead of 6 (`bench/docs_rounds.py`)."""
        known = float(await session.scalar(self.KNOWN_ROWS) or -1)
        if known < 0 or added > ANALYZE_SHARE * known:  # -1: never analysed
            await session.execute(self.ANALYZE)

    async def nearest(
        self, session: AsyncSession, files: Sequence[uuid.UUID], vector: np.ndarray, limit: int, exact: bool = False
    ) -> list[uuid.UUID]:
        if self.iterative_scan and not exact:
            await session.execute(self.ITERATIVE_SCAN)
        found = await session.scalars(
            self.NEAREST_EXACT if exact else self.NEAREST,
            {"files": list(files), "vector": _vector_text(vector), "limit": limit},
        )
        return list(found)

    async def matching(
        self, session: AsyncSession, files: Sequence[uuid.UUID], query: str, limit: int
    ) -> list[uuid.UUID]:
        terms = telling(search_terms(query), await self.commonness.shares(session))
        if not terms:
            return []
        found = await session.scalars(
            self.MATCHING,
            {"files": list(files), "query": websearch_query(terms), "limit": limit, "most": MOST_RANKED},
        )
        return list(found)


class SqliteIndex:
    STORE: Final = text("UPDATE chunks SET embedding = :vector WHERE id = :id").bindparams(
        bindparam("id", type_=Uuid()), bindparam("vector", type_=LargeBinary())
    )
    VECTORS: Final = (
        text("SELECT id, embedding FROM chunks WHERE file_id IN :files AND embedding IS NOT NULL")
        .columns(id=Uuid(), embedding=LargeBinary())
        .bindparams(_FILES)
    )
    MATCHING: Final = (
        text(
            "SELECT chunks.id FROM chunks_search JOIN chunks ON chunks.rowid = chunks_search.rowid "
            "WHERE chunks_search MATCH :query AND chunks.file_id IN :files "
            "ORDER BY bm25(chunks_search), chunks.ordinal LIMIT :limit"
        )
        .columns(id=Uuid())
        .bindparams(_FILES)
    )

    async def store(self, session: AsyncSession, ids: Sequence[uuid.UUID], vectors: np.ndarray) -> None:
        rows = [
            {"id": id_, "vector": np.asarray(vector, dtype="<f4").tobytes()}
            for id_, vector in zip(ids, vectors, strict=True)
        ]
        await session.execute(self.STORE, rows)

    async def settle(self, session: AsyncSession, added: int) -> None:
        """Nothing: the embedded mode's searches read a conversation's vectors whole, with no plan to choose."""

    async def nearest(
        self, session: AsyncSession, files: Sequence[uuid.UUID], vector: np.ndarray, limit: int, exact: bool = True
    ) -> list[uuid.UUID]:
        rows = (await session.execute(self.VECTORS, {"files": list(files)})).all()
        if not rows:
            return []
        matrix = np.frombuffer(b"".join(row.embedding for row in rows), dtype="<f4").reshape(len(rows), -1)
        norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(vector) or 1.0)
        similarity = (matrix @ vector.astype(np.float32)) / np.where(norms == 0, 1.0, norms)
        best = np.argsort(-similarity, kind="stable")[:limit]
        return [rows[int(index)].id for index in best]

    async def matching(
        self, session: AsyncSession, files: Sequence[uuid.UUID], query: str, limit: int
    ) -> list[uuid.UUID]:
        return await _matching(session, self.MATCHING, files, fts5_query, query, limit)


async def postgres_index(session: AsyncSession) -> PostgresIndex:
    """The index as this server's pgvector allows (its iterative scan since 0.8)."""
    found = await session.scalar(text("SELECT extversion FROM pg_extension WHERE extname = 'vector'"))
    version = tuple(int(part) for part in str(found or "0").split(".")[:2])
    return PostgresIndex(iterative_scan=version >= ITERATIVE_SCAN_SINCE)


async def check_postgres(session: AsyncSession, dimensions: int) -> None:
    """Raise `DocumentsUnavailable` when the chunks have no vector column; refuse to start when it has another
    length than `dimensions` (vectors of two lengths cannot be compared)."""
    found = await session.scalar(
        text(
            "SELECT atttypmod FROM pg_attribute WHERE attrelid = 'chunks'::regclass AND attname = 'embedding' "
            "AND NOT attisdropped"
        )
    )
    if found is None:
        raise DocumentsUnavailable(
            "this Postgres has no pgvector extension (the pgvector/pgvector image or the postgresql-*-pgvector "
            "package has it; then run the migration again): documents are off"
        )
    if found != dimensions:
        raise RuntimeError(
            f"the chunks' vectors are {found} long, EMBEDDING_DIMENSIONS is {dimensions}: documents are off"
        )
