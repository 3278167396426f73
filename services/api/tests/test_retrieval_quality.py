"""Retrieval quality on a small shipped corpus (tests/data/retrieval_corpus.json: short passages, questions whose
answer is in exactly one): recall@5 of the hybrid search, with the emulator's embeddings (their similarity
follows word overlap) and the database's full-text index, on SQLite and on Postgres with pgvector. Each
half's recall is printed beside the fused one."""

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openai
import pytest
from semantic_kernel.connectors.ai.open_ai import AzureTextEmbedding
from sqlalchemy import insert

from chat_api.auth.tokens import Identity
from chat_api.documents.embedder import Embedder
from chat_api.documents.index import ChunkIndex, PostgresIndex, SqliteIndex
from chat_api.documents.retrieval import DocumentSearch
from chat_api.limits.service import Limits
from chat_api.settings import DatabaseSettings
from chat_api.storage.engine import Sessions, create_engine, create_sessions, is_sqlite
from chat_api.storage.models import Chunk, Conversation, FileStatus, StoredFile, User
from chat_api.storage.schema import upgrade_schema

from .conftest import API_KEY, api_settings
from .postgres import Databases, pgvector_or_skip

CORPUS = json.loads((Path(__file__).parent / "data" / "retrieval_corpus.json").read_text())
DIMENSIONS = 1536  # (the migration's default length)
TOP = 5


@pytest.fixture
async def sessions(database: dict[str, str], request: pytest.FixtureRequest) -> AsyncIterator[Sessions]:
    if "DATABASE_URL" in database:
        databases: Databases = request.getfixturevalue("postgres")
        await pgvector_or_skip(databases)
    engine = create_engine(DatabaseSettings(**database))  # type: ignore[arg-type]
    if is_sqlite(engine):
        await upgrade_schema(engine)
    yield create_sessions(engine)
    await engine.dispose()


@pytest.fixture
async def embedder(emulator_url: str) -> AsyncIterator[Embedder]:
    client = openai.AsyncAzureOpenAI(azure_endpoint=emulator_url, api_key=API_KEY, api_version="2024-10-21")
    yield Embedder(AzureTextEmbedding(deployment_name="embeddings", async_client=client), DIMENSIONS, 0)
    await client.close()


async def corpus_in(sessions: Sessions) -> tuple[uuid.UUID, uuid.UUID, dict[uuid.UUID, str]]:
    """The corpus as one ready file of a new user's conversation, a chunk a passage: (user, conversation, the
    passage id of each chunk)."""
    user, conversation, file = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    chunks: list[dict[str, Any]] = [
        {"id": uuid.uuid4(), "file_id": file, "ordinal": n, "text": passage["text"], "tokens": 40}
        for n, passage in enumerate(CORPUS["passages"])
    ]
    async with sessions.begin() as session:
        session.add(User(id=user))
        await session.flush()
        session.add(Conversation(id=conversation, user_id=user, title="corpus"))
        await session.flush()
        session.add(
            StoredFile(
                id=file,
                user_id=user,
                conversation_id=conversation,
                name="corpus.md",
                media_type="text/markdown",
                size_bytes=1,
                sha256="0" * 64,
                status=FileStatus.READY,
                chunks_total=len(chunks),
                chunks_done=len(chunks),
            )
        )
        await session.flush()
        await session.execute(insert(Chunk), chunks)
    return user, conversation, {chunk["id"]: CORPUS["passages"][chunk["ordinal"]]["id"] for chunk in chunks}


async def test_recall_at_5_of_the_hybrid_search(sessions: Sessions, embedder: Embedder, emulator_url: str) -> None:
    user, conversation, passage_of = await corpus_in(sessions)
    index: ChunkIndex = SqliteIndex() if sessions.kw["bind"].dialect.name == "sqlite" else PostgresIndex()
    ids = list(passage_of)
    vectors = await embedder.embed([CORPUS["passages"][n]["text"] for n in range(len(ids))])
    async with sessions.begin() as session:
        await index.store(session, ids, vectors)
    search = DocumentSearch(sessions, index, embedder, Limits(None, api_settings(emulator_url)))  # no limits
    files = list(await search.ready_files(user, conversation))
    identity = Identity(user_id=user, guest=False, session_id=uuid.uuid4(), epoch=0)

    passage_of_text = {passage["text"]: passage["id"] for passage in CORPUS["passages"]}
    found = {"fused": 0, "vector": 0, "text": 0}
    for item in CORPUS["questions"]:
        passages = await search.search(identity, conversation, item["question"], limit=TOP)
        found["fused"] += item["answer"] in [passage_of_text[passage.text] for passage in passages]
        async with sessions.autocommit() as session:
            vector = (await embedder.embed([item["question"]]))[0]
            nearest = await index.nearest(session, files, vector, TOP)
            matching = await index.matching(session, files, item["question"], TOP)
        found["vector"] += item["answer"] in [passage_of[chunk] for chunk in nearest]
        found["text"] += item["answer"] in [passage_of[chunk] for chunk in matching]
    recall = {kind: hits / len(CORPUS["questions"]) for kind, hits in found.items()}
    print(
        f"\nrecall@{TOP} over {len(CORPUS['questions'])} questions, {len(ids)} passages "
        f"({sessions.kw['bind'].dialect.name}): fused {recall['fused']:.2f}, vector alone {recall['vector']:.2f}, "
        f"full text alone {recall['text']:.2f}"
    )
    assert recall["fused"] >= 0.9
