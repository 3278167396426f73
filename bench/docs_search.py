"""Document search (`chat_api/documents/retrieval.py`, the `search_documents` tool) for one user whose
conversations hold 1,000, 10,000 and 100,000 chunks (111,000 in the table): how long one `DocumentSearch.search`
takes, p50 and p99, on Postgres (pgvector HNSW + the generated tsvector, fused by reciprocal rank fusion) and,
for reference, on SQLite (the embedded mode: exact vectors in numpy + FTS5) at 1,000 and 10,000. Target (#31):
p99 ≤ 30 ms at 100,000 on Postgres.

What one search includes: the conversation's ready files, the nearest chunks by vector, the full-text matches,
the fusion and the chosen chunks read back (everything `search` does) except the query's embedding, which here
is a vector handed over at once (its call to the model is `docs_rounds.py`'s figure), and the query's budget
charge (a Redis call, since 736ca53; the figures below were measured before it). Each half is also timed
alone, and the vector half's recall@20 against the exact nearest chunks of the same scope is measured (HNSW is
approximate; a filter on the conversation's files can starve it).

The data: chunks of about 300 words (CHUNK_TOKENS 400) drawn from a Zipf vocabulary (as real text); vectors of
EMBEDDING_DIMENSIONS (1536) that cluster as real embeddings do: each chunk near one of 200 topics, each query
near one chunk (cosine about 0.78 to it, 0.5 to its topic's other chunks, 0 to the rest), its words taken from
that chunk. Loaded by COPY with the HNSW index dropped and rebuilt after (as a bulk load would; ingestion adds
rows one file at a time with the index in place). Loopback only; bounded (about 10 minutes).

    uv run --project bench python bench/docs_search.py
"""

import argparse
import json
import os
import platform
import random
import statistics
import struct
import time
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import asyncpg  # type: ignore[import-untyped]
import numpy as np
import uvloop
from chat_api.auth.tokens import Identity
from chat_api.documents.embedder import Embedder
from chat_api.documents.index import ChunkIndex, PostgresIndex, SqliteIndex, postgres_index
from chat_api.documents.retrieval import CANDIDATES, DocumentSearch
from chat_api.documents.terms import search_terms, websearch_query
from chat_api.limits.service import Limits
from chat_api.settings import DatabaseSettings
from chat_api.storage.engine import Sessions, create_engine, create_sessions
from chat_api.storage.models import Chunk, Conversation, FileStatus, StoredFile, User
from chat_api.storage.schema import upgrade_schema
from pydantic import SecretStr
from sqlalchemy import Uuid, bindparam, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from harness.documents import vocabulary
from harness.processes import ROOT
from harness.statistics import percentile
from harness.stores import fresh_work, postgres

DIMENSIONS = 1536
SCOPES = (1_000, 10_000, 100_000)  # chunks in each of the user's conversations
SQLITE_SCOPES = (1_000, 10_000)
CHUNKS_PER_FILE = 5_000
WORDS_PER_CHUNK = (220, 320)
VOCABULARY = 30_000
TOPICS = 200
NOISE = 0.8  # a chunk's own direction against its topic's (norms about 1 each)
SEARCHES = 300
SEARCHES_BEFORE = 20  # (the statements before the fix took up to seconds each)
WARM = 30
SEED = 20261206


@dataclass
class Corpus:
    texts: list[str]
    vectors: np.ndarray  # float32, unit rows
    words: list[str]


def unit(rows: np.ndarray) -> np.ndarray:
    return cast(np.ndarray, (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32))


def corpus(rng: np.random.Generator, count: int) -> Corpus:
    words = vocabulary(random.Random(SEED), VOCABULARY)  # noqa: S311 - English's commonest words, then made-up ones
    weights = 1.0 / np.arange(1, VOCABULARY + 1)
    lengths = rng.integers(*WORDS_PER_CHUNK, size=count)
    drawn = rng.choice(VOCABULARY, size=int(lengths.sum()), p=weights / weights.sum())
    texts, start = [], 0
    for length in lengths:
        texts.append(" ".join(words[index] for index in drawn[start : start + length]))
        start += length
    topics = unit(rng.standard_normal((TOPICS, DIMENSIONS)))
    vectors = np.empty((count, DIMENSIONS), dtype=np.float32)
    for start in range(0, count, 10_000):
        end = min(count, start + 10_000)
        noise = rng.standard_normal((end - start, DIMENSIONS)) / np.sqrt(DIMENSIONS)
        vectors[start:end] = unit(topics[rng.integers(TOPICS, size=end - start)] + NOISE * noise)
    return Corpus(texts, vectors, words)


@dataclass(frozen=True)
class Query:
    text: str
    vector: np.ndarray


def queries(rng: np.random.Generator, data: Corpus, scope: range, count: int) -> list[Query]:
    """Each near one chunk of the scope: its vector nudged, a question made of a few of its words."""
    made = []
    for index in rng.choice(np.array(scope), size=count):
        noise = rng.standard_normal(DIMENSIONS) / np.sqrt(DIMENSIONS)
        distinct = sorted(set(data.texts[index].split()))
        chosen = rng.choice(distinct, size=int(rng.integers(3, 7)), replace=False)
        made.append(
            Query(f"what does the text say about {' '.join(chosen)}?", unit(data.vectors[index] + NOISE * noise))
        )
    return made


class IndexBefore(PostgresIndex):
    """The Postgres index as it was before this benchmark (commit 68aaf5c): every word of the question ranked
    in full, and the HNSW scan stopping at ef_search candidates whatever the filter left."""

    MATCHING_BEFORE = text(
        "SELECT id FROM chunks, websearch_to_tsquery('simple', :query) AS query "
        "WHERE file_id IN :files AND search_vector @@ query "
        "ORDER BY ts_rank_cd(search_vector, query) DESC, ordinal LIMIT :limit"
    ).bindparams(bindparam("files", expanding=True, type_=Uuid()))

    def __init__(self) -> None:
        super().__init__(iterative_scan=False)

    async def matching(
        self, session: AsyncSession, files: Sequence[uuid.UUID], query: str, limit: int
    ) -> list[uuid.UUID]:
        terms = search_terms(query)
        found = await session.scalars(
            self.MATCHING_BEFORE, {"files": list(files), "query": websearch_query(terms), "limit": limit}
        )
        return list(found)


class NoCharge:
    """Stands in for the limits: the query's budget charge (a Redis script) is not what is timed here."""

    async def charge(self, identity: Identity, tokens: int) -> None:
        return None


class GivenVector:
    """Stands in for the embedder: the query's vector, already made (its call is timed elsewhere)."""

    def __init__(self) -> None:
        self.vector = np.zeros(DIMENSIONS, dtype=np.float32)

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.vector[np.newaxis, :]


@dataclass(frozen=True)
class Owner:
    user: uuid.UUID
    conversations: dict[int, uuid.UUID]  # scope size -> conversation
    files: dict[int, list[uuid.UUID]]


def plan(scopes: Sequence[int]) -> tuple[Owner, list[tuple[uuid.UUID, int, uuid.UUID, int]]]:
    """The user, a conversation per scope, its files; rows (file, file's first chunk, conversation, count)."""
    owner = Owner(uuid.uuid4(), {}, {})
    files, start = [], 0
    for size in scopes:
        conversation = uuid.uuid4()
        owner.conversations[size], owner.files[size] = conversation, []
        for first in range(0, size, CHUNKS_PER_FILE):
            file = uuid.uuid4()
            owner.files[size].append(file)
            files.append((file, start + first, conversation, min(CHUNKS_PER_FILE, size - first)))
        start += size
    return owner, files


def vector_binary(vector: np.ndarray) -> bytes:
    """pgvector's binary form: dimensions, a reserved zero, then big-endian float32s."""
    return struct.pack(">HH", len(vector), 0) + vector.astype(">f4").tobytes()


async def fill_postgres(url: str, data: Corpus, scopes: Sequence[int]) -> tuple[Owner, dict[str, float]]:
    owner, files = plan(scopes)
    connection = await asyncpg.connect(url)
    await connection.set_type_codec("vector", encoder=vector_binary, decoder=bytes, schema="public", format="binary")
    try:
        now = datetime.now(UTC)
        index = await connection.fetchval("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_chunks_embedding'")
        await connection.execute("DROP INDEX ix_chunks_embedding")
        began = time.perf_counter()
        await connection.execute("INSERT INTO users (id, created_at, token_epoch) VALUES ($1, $2, 0)", owner.user, now)
        for size, conversation in owner.conversations.items():
            await connection.execute(
                "INSERT INTO conversations (id, user_id, title, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
                conversation, owner.user, f"{size} chunks", now,
            )  # fmt: skip
        await connection.copy_records_to_table(
            "files",
            records=[
                (
                    file,
                    owner.user,
                    conversation,
                    f"file-{first}.pdf",
                    "application/pdf",
                    1,
                    f"{first:064x}",
                    "ready",
                    count,
                    count,
                    count // 3,
                    now,
                    now,
                )
                for file, first, conversation, count in files
            ],
            columns=[
                "id",
                "user_id",
                "conversation_id",
                "name",
                "media_type",
                "size_bytes",
                "sha256",
                "status",
                "chunks_done",
                "chunks_total",
                "pages",
                "created_at",
                "updated_at",
            ],
        )
        for file, first, _, count in files:
            await connection.copy_records_to_table(
                "chunks",
                records=[
                    (uuid.uuid4(), file, n, n // 3 + 1, None, data.texts[first + n], 400, data.vectors[first + n])
                    for n in range(count)
                ],
                columns=["id", "file_id", "ordinal", "page", "heading", "text", "tokens", "embedding"],
            )
        loaded = time.perf_counter() - began
        began = time.perf_counter()
        await connection.execute("SET maintenance_work_mem = '2GB'")
        await connection.execute(index)
        built = time.perf_counter() - began
        await connection.execute("VACUUM ANALYZE")
        sizes = await connection.fetchrow(
            "SELECT pg_total_relation_size('chunks') AS chunks, pg_relation_size('ix_chunks_embedding') AS hnsw, "
            "pg_relation_size('ix_chunks_search_vector') AS gin"
        )
        return owner, {
            "load_s": round(loaded, 1),
            "hnsw_build_s": round(built, 1),
            "chunks_table_mb": round(sizes["chunks"] / 2**20),
            "hnsw_index_mb": round(sizes["hnsw"] / 2**20),
            "gin_index_mb": round(sizes["gin"] / 2**20),
        }
    finally:
        await connection.close()


async def fill_sqlite(sessions: Sessions, data: Corpus, scopes: Sequence[int]) -> Owner:
    owner, files = plan(scopes)
    async with sessions.begin() as session:
        session.add(User(id=owner.user))
        await session.flush()
        for size, conversation in owner.conversations.items():
            session.add(Conversation(id=conversation, user_id=owner.user, title=f"{size} chunks"))
        await session.flush()
        for file, first, conversation, count in files:
            session.add(
                StoredFile(
                    id=file, user_id=owner.user, conversation_id=conversation, name=f"file-{first}.pdf",
                    media_type="application/pdf", size_bytes=1, sha256=f"{first:064x}", status=FileStatus.READY,
                    chunks_done=count, chunks_total=count,
                )
            )  # fmt: skip
        await session.flush()
        index = SqliteIndex()
        for file, first, _, count in files:
            ids = [uuid.uuid4() for _ in range(count)]
            await session.execute(
                insert(Chunk),
                [
                    {
                        "id": ids[n],
                        "file_id": file,
                        "ordinal": n,
                        "page": n // 3 + 1,
                        "heading": None,
                        "text": data.texts[first + n],
                        "tokens": 400,
                    }
                    for n in range(count)
                ],
            )
            await index.store(session, ids, data.vectors[first : first + count])
    return owner


def spread_ms(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 2),
        "p99": round(percentile(values, 0.99) or 0, 2),
        "max": round(max(values), 2),
    }


async def timed(call: Awaitable[Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await call
    return (time.perf_counter() - started) * 1000, result


async def measure_scope(
    sessions: Sessions, index: ChunkIndex, data: Corpus, owner: Owner, size: int, first: int, searches: int
) -> dict[str, Any]:
    given = GivenVector()
    search = DocumentSearch(sessions, index, cast(Embedder, given), cast(Limits, NoCharge()))
    identity = Identity(user_id=owner.user, guest=True, session_id=uuid.UUID(int=0), epoch=0)
    conversation, files = owner.conversations[size], owner.files[size]
    scope = range(first, first + size)
    warm = min(WARM, searches // 4)
    asked = queries(np.random.default_rng(size), data, scope, warm + searches)
    whole, nearest_ms, matching_ms, recalls, returned, passages = [], [], [], [], [], []
    ids_of: dict[uuid.UUID, int] = {}
    async with sessions.autocommit() as session:
        rows = await session.execute(
            text("SELECT c.id, c.ordinal, c.file_id FROM chunks c JOIN files f ON f.id = c.file_id "
                 "WHERE f.conversation_id = :conversation").bindparams(conversation=conversation)
        )  # fmt: skip
        first_of = {file: first + CHUNKS_PER_FILE * n for n, file in enumerate(files)}
        for row in rows:
            ids_of[uuid.UUID(str(row.id))] = first_of[uuid.UUID(str(row.file_id))] + row.ordinal
    scope_vectors = data.vectors[first : first + size]
    for n, query in enumerate(asked):
        given.vector = query.vector
        took, found = await timed(search.search(identity, conversation, query.text))
        async with sessions.autocommit() as session:
            near_ms, near = await timed(index.nearest(session, files, query.vector, CANDIDATES))
            match_ms, _ = await timed(index.matching(session, files, query.text, CANDIDATES))
        if n < warm:
            continue
        whole.append(took)
        nearest_ms.append(near_ms)
        matching_ms.append(match_ms)
        passages.append(len(found))
        returned.append(len(near))
        exact = {first + int(i) for i in np.argsort(-(scope_vectors @ query.vector))[:CANDIDATES]}
        recalls.append(len(exact & {ids_of[id_] for id_ in near}) / CANDIDATES)
    return {
        "search_ms": spread_ms(whole),
        "vector_half_ms": spread_ms(nearest_ms),
        "full_text_half_ms": spread_ms(matching_ms),
        "vector_recall_at_20": round(statistics.mean(recalls), 3),
        "vector_candidates_returned_min": min(returned),
        "passages_returned_min": min(passages),
    }


async def measure_postgres(url: str, data: Corpus, scopes: Sequence[int]) -> dict[str, Any]:
    engine = create_engine(DatabaseSettings(DATABASE_URL=SecretStr(url), DATABASE_POOL_SIZE=4))
    os.environ["EMBEDDING_DIMENSIONS"] = str(DIMENSIONS)  # (the migration reads it)
    await upgrade_schema(engine)
    owner, load = await fill_postgres(url, data, scopes)
    sessions = create_sessions(engine)
    async with sessions.autocommit() as session:
        index = await postgres_index(session)
    results: dict[str, Any] = {"load": load, "iterative_scan": index.iterative_scan, "now": {}, "before": {}}
    first = 0
    for size in scopes:
        results["now"][f"{size:,} chunks"] = await measure_scope(sessions, index, data, owner, size, first, SEARCHES)
        results["before"][f"{size:,} chunks"] = await measure_scope(
            sessions, IndexBefore(), data, owner, size, first, SEARCHES_BEFORE
        )
        first += size
    await engine.dispose()
    return results


async def measure_sqlite(path: Path, data: Corpus, scopes: Sequence[int]) -> dict[str, Any]:
    engine = create_engine(
        DatabaseSettings(DATABASE_URL=SecretStr(f"sqlite+aiosqlite:///{path}"), DATABASE_POOL_SIZE=1)
    )
    await upgrade_schema(engine)
    sessions = create_sessions(engine)
    owner = await fill_sqlite(sessions, data, scopes)
    results: dict[str, Any] = {}
    first = 0
    for size in scopes:
        results[f"{size:,} chunks"] = await measure_scope(sessions, SqliteIndex(), data, owner, size, first, SEARCHES)
        first += size
    await engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/docs-search.json")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--scopes", type=int, nargs="+", default=list(SCOPES), help="chunks per conversation")
    args = parser.parse_args()
    work = fresh_work()
    began = time.perf_counter()
    data = corpus(np.random.default_rng(SEED), sum(args.scopes))
    made_s = time.perf_counter() - began
    with postgres(work) as database_url:
        on_postgres = uvloop.run(measure_postgres(database_url, data, args.scopes))
    sqlite_scopes = [size for size in args.scopes if size in SQLITE_SCOPES]
    on_sqlite = None if args.skip_sqlite else uvloop.run(measure_sqlite(work / "chat.db", data, sqlite_scopes))
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}",
        "postgres": "Debian's, on a Unix socket, default settings (shared_buffers 128 MB)",
        "data": {
            "dimensions": DIMENSIONS,
            "chunks_in_table": sum(args.scopes),
            "words_per_chunk": WORDS_PER_CHUNK,
            "topics": TOPICS,
            "searches_per_scope": SEARCHES,
            "made_s": round(made_s, 1),
        },
        "includes": "DocumentSearch.search without the query's embedding call: ready files, vector half, "
        "full-text half, fusion, chunks read back",
        "postgres_by_scope": on_postgres,
        "sqlite_by_scope": on_sqlite,
        "target_p99_ms_at_100000": 30,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
