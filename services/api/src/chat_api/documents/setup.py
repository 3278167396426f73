"""The documents area of one worker process: its index for this database, the embedder, the service the routes
use, the search the tool uses, and the ingestion worker, started and stopped with the app."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from chat_api.chat.upstream import Upstream
from chat_api.documents.embedder import Embedder
from chat_api.documents.index import ChunkIndex, DocumentsUnavailable, SqliteIndex, check_postgres, postgres_index
from chat_api.documents.ingestion import Ingestion, IngestSettings
from chat_api.documents.jobs import Jobs
from chat_api.documents.retrieval import DocumentSearch
from chat_api.documents.service import DocumentService
from chat_api.documents.worker import IngestionWorker
from chat_api.limits.service import Limits
from chat_api.settings import Settings
from chat_api.storage.engine import Sessions

logger = logging.getLogger("chat_api.documents")


@dataclass(frozen=True)
class Documents:
    service: DocumentService
    search: DocumentSearch | None  # None: documents are off (the tool says so)


async def _index(sessions: Sessions, settings: Settings) -> ChunkIndex | None:
    if sessions.kw["bind"].dialect.name == "sqlite":
        return SqliteIndex()
    async with sessions.autocommit() as session:
        try:
            await check_postgres(session, settings.EMBEDDING_DIMENSIONS)
        except DocumentsUnavailable as unavailable:
            logger.warning("%s", unavailable)
            return None
        return await postgres_index(session)


@asynccontextmanager
async def open_documents(
    settings: Settings, sessions: Sessions, upstream: Upstream, limits: Limits
) -> AsyncIterator[Documents]:
    index = await _index(sessions, settings)
    if index is None or upstream.embeddings is None:
        yield Documents(DocumentService(sessions, limits, settings, lambda: None, available=False), None)
        return
    embedder = Embedder(upstream.embeddings, settings.EMBEDDING_DIMENSIONS, settings.EMBEDDING_MAX_RETRIES)
    jobs = Jobs(sessions, timedelta(seconds=settings.INGEST_LEASE_S))
    ingestion = Ingestion(sessions, jobs, index, embedder, limits, IngestSettings.of(settings))
    worker = IngestionWorker(jobs, ingestion, settings.INGEST_CONCURRENCY)
    worker.start()
    try:
        yield Documents(
            DocumentService(sessions, limits, settings, worker.wake, available=True),
            DocumentSearch(sessions, index, embedder, limits),
        )
    finally:
        await worker.aclose()
