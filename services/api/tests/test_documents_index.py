"""The Postgres index at scale's edges (#31's benchmark, bench/docs_search.py): a conversation holding a small
share of the chunks still gets all its nearest ones through HNSW, and the full-text half leaves out a word
most chunks hold instead of ranking every chunk that has it."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from chat_api.documents.commonness import COMMON_SHARE, telling
from chat_api.documents.index import PostgresIndex, postgres_index
from chat_api.settings import DatabaseSettings
from chat_api.storage.engine import Sessions, create_engine, create_sessions
from chat_api.storage.models import Chunk, Conversation, FileStatus, StoredFile, User

from .postgres import Databases, pgvector_or_skip

DIMENSIONS = 1536  # (the migration's default length)


def test_words_most_chunks_hold_are_left_out_unless_all_are() -> None:
    shares = {"time": 0.6, "people": 0.3, "rare": COMMON_SHARE}
    assert telling(["time", "zanzibar", "people", "rare"], shares) == ["zanzibar", "rare"]
    assert telling(["time", "people"], shares) == ["people"]
    assert telling([], shares) == []


@pytest.fixture
async def sessions(postgres: Databases) -> AsyncIterator[Sessions]:
    await pgvector_or_skip(postgres)
    engine = create_engine(DatabaseSettings(DATABASE_URL=await postgres.new()))
    yield create_sessions(engine)
    await engine.dispose()


async def a_file(
    sessions: Sessions, texts: list[str], vectors: np.ndarray | None = None
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A ready file of its own conversation holding `texts` as chunks (with `vectors`): the file, its chunks."""
    user, conversation, file = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    ids = [uuid.uuid4() for _ in texts]
    rows: list[dict[str, Any]] = [
        {"id": id_, "file_id": file, "ordinal": n, "text": chunk, "tokens": 10}
        for n, (id_, chunk) in enumerate(zip(ids, texts, strict=True))
    ]
    async with sessions.begin() as session:
        session.add(User(id=user))
        await session.flush()
        session.add(Conversation(id=conversation, user_id=user, title="t"))
        await session.flush()
        session.add(
            StoredFile(
                id=file, user_id=user, conversation_id=conversation, name="f.txt", media_type="text/plain",
                size_bytes=1, sha256="0" * 64, status=FileStatus.READY, chunks_total=len(rows), chunks_done=len(rows),
            )
        )  # fmt: skip
        await session.flush()
        await session.execute(insert(Chunk), rows)
        if vectors is not None:
            await PostgresIndex().store(session, ids, vectors)
    return file, ids


async def explained(session: AsyncSession, statement: str, file: uuid.UUID, vector: np.ndarray) -> str:
    """The plan of a nearest-chunk statement for one file and 20 chunks."""
    filled = (
        statement.replace(":files", f"('{file}')")
        .replace(":vector", f"'{[float(v) for v in vector]}'")
        .replace(":limit", "20")
    )
    return "\n".join(await session.scalars(text(f"EXPLAIN {filled}")))


def unit_vectors(rng: np.random.Generator, count: int) -> np.ndarray:
    vectors = rng.standard_normal((count, DIMENSIONS)).astype(np.float32)
    unit: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit


async def test_a_conversation_with_a_tenth_of_the_chunks_gets_all_its_nearest(sessions: Sessions) -> None:
    rng = np.random.default_rng(31)
    await a_file(sessions, ["other"] * 1800, unit_vectors(rng, 1800))
    ours = unit_vectors(rng, 200)
    file, ids = await a_file(sessions, ["ours"] * 200, ours)
    async with sessions.autocommit() as session:
        await session.execute(text("ANALYZE chunks"))
        # As the planner does at 100,000 chunks (a table this small it would sort whole): HNSW, then the filter.
        await session.execute(text("SET enable_sort = off"))
        index = await postgres_index(session)
        assert index.iterative_scan  # (pgvector 0.8 and later: Debian's and the compose image's)
        plan = await explained(session, PostgresIndex.NEAREST.text, file, ours[0])
        assert "ix_chunks_embedding" in plan  # (HNSW, filtered: what the iterative scan is for)
        query = ours[0] + 0.5 * unit_vectors(rng, 1)[0]
        found = await index.nearest(session, [file], query, 20)
    exact = [ids[n] for n in np.argsort(-(ours @ query))[:20]]
    assert len(found) == 20
    assert len(set(found) & set(exact)) >= 18


async def test_the_full_text_half_ranks_the_chunks_holding_a_telling_word(sessions: Sessions) -> None:
    texts = [f"the time of chunk {n}" for n in range(300)]
    texts[123] = "the time of the zanzibar treaty"
    file, ids = await a_file(sessions, texts)
    async with sessions.autocommit() as session:
        await session.execute(text("ANALYZE chunks"))
        found = await PostgresIndex().matching(session, [file], "What time was the Zanzibar treaty?", 20)
    assert found == [ids[123]]  # (not 20 chunks that hold "time")


async def known_rows(sessions: Sessions) -> float:
    async with sessions.autocommit() as session:
        return float(await session.scalar(PostgresIndex.KNOWN_ROWS) or -1)


async def test_a_file_that_is_much_of_the_table_has_its_statistics_taken_at_once(sessions: Sessions) -> None:
    """Else the planner counts a new file's chunks from stale statistics (a first file: from none) and reads
    every vector of it where the index would do."""
    index = PostgresIndex()
    assert await known_rows(sessions) < 0  # never analysed
    await a_file(sessions, ["first"] * 40)
    async with sessions.autocommit() as session:
        await index.settle(session, 40)
    assert await known_rows(sessions) == 40
    await a_file(sessions, ["small"] * 4)  # a tenth of what is known: autovacuum's to count
    async with sessions.autocommit() as session:
        await index.settle(session, 4)
    assert await known_rows(sessions) == 40
    await a_file(sessions, ["large"] * 5)
    async with sessions.autocommit() as session:
        await index.settle(session, 5)
    assert await known_rows(sessions) == 49


async def test_a_small_scope_is_searched_exactly(sessions: Sessions) -> None:
    """A file of repeated boilerplate (hundreds of identical chunks) and one passage that differs: compared
    exactly, it is first; no plan gives the exact statement to the approximate index, whose walk through the
    duplicates could miss it."""
    rng = np.random.default_rng(7)
    vectors = np.vstack([np.tile(unit_vectors(rng, 1)[0], (600, 1)), unit_vectors(rng, 1)])
    file, ids = await a_file(sessions, ["boilerplate"] * 600 + ["the passage"], vectors)
    async with sessions.autocommit() as session:
        await session.execute(text("ANALYZE chunks"))
        await session.execute(text("SET enable_sort = off"))  # as much as the planner can be pushed to the index
        index = await postgres_index(session)
        plan = await explained(session, PostgresIndex.NEAREST_EXACT.text, file, vectors[-1])
        assert "ix_chunks_embedding" not in plan
        found = await index.nearest(session, [file], vectors[-1], 20, exact=True)
    assert found[0] == ids[-1] and len(found) == 20
