"""What each worker builds once and every request shares, wired together; torn down in reverse at shutdown."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis

from chat_api.admin.deps import ADMIN
from chat_api.admin.service import AdminService
from chat_api.auth.deps import AUTH
from chat_api.auth.oidc.service import open_sign_ins
from chat_api.auth.revocation import Revocations
from chat_api.auth.secret import signing_secret
from chat_api.auth.service import AuthService
from chat_api.auth.tokens import TokenSigner
from chat_api.chat.models import open_models
from chat_api.chat.service import ChatService
from chat_api.conversations.deps import CONVERSATIONS
from chat_api.conversations.service import ConversationService
from chat_api.documents.deps import DOCUMENTS
from chat_api.documents.setup import open_documents
from chat_api.feedback.deps import FEEDBACK
from chat_api.feedback.service import FeedbackService
from chat_api.generations.deps import GENERATIONS, PLANNER
from chat_api.generations.local_log import LocalEventLog
from chat_api.generations.log import EventLog
from chat_api.generations.redis_log import RedisEventLog
from chat_api.generations.redis_stop import RedisStopSignal
from chat_api.generations.runner import GenerationRunner
from chat_api.generations.service import Generations
from chat_api.generations.stop_signal import LocalStopSignal, StopSignal
from chat_api.generations.store import GenerationStore
from chat_api.generations.sweeper import sweep_forever
from chat_api.generations.turns import TurnPlanner
from chat_api.http.deps import SETTINGS
from chat_api.limits.deps import LIMITS
from chat_api.limits.limiter import Limiter
from chat_api.limits.service import Limits
from chat_api.memory.deps import MEMORY
from chat_api.memory.service import Memory
from chat_api.redis_connection import open_redis
from chat_api.search.deps import SEARCH
from chat_api.search.service import SearchService
from chat_api.server import shutdown
from chat_api.settings import Settings
from chat_api.shares.deps import SHARES
from chat_api.shares.service import ShareService
from chat_api.stateless.deps import CHAT
from chat_api.storage.engine import create_engine, create_sessions
from chat_api.storage.schema import prepare_schema
from chat_api.telemetry import setup as telemetry_setup
from chat_api.titles.deps import TITLES
from chat_api.titles.service import Titles
from chat_api.tools.context import ToolServices
from chat_api.tools.deps import TOOLKIT
from chat_api.tools.mcp.hub import McpTools
from chat_api.tools.policy import ToolPolicy
from chat_api.tools.toolkit import Toolkit
from chat_api.usage.ledger import UsageLedger
from chat_api.user_memories.deps import USER_MEMORIES
from chat_api.user_memories.service import UserMemories

logger = logging.getLogger("chat_api")


@asynccontextmanager
async def open_event_log(settings: Settings, redis: Redis | None) -> AsyncIterator[tuple[EventLog, StopSignal]]:
    """Where answers' events go and how Stop reaches their owner: through Redis, or within this process."""
    log: EventLog
    stops: StopSignal
    if redis is None:
        if settings.workers > 1:
            logger.warning(
                "REDIS_URL is not set: answers are followed and stopped within one worker process only; "
                "set REDIS_URL (or WEB_CONCURRENCY=1)"
            )
        log, stops = LocalEventLog(keep_after_end_s=settings.GENERATION_KEEP_S), LocalStopSignal()
    else:
        log, stops = RedisEventLog(redis, keep_after_end_s=settings.GENERATION_KEEP_S), RedisStopSignal(redis)
        await stops.start()
    try:
        yield log, stops
    finally:
        await stops.aclose()
        await log.aclose()


@asynccontextmanager
async def open_services(
    settings: Settings, exporting: telemetry_setup.Exporting | None = None
) -> AsyncIterator[dict[str, Any]]:
    """The lifespan's state: each service under its area's key (`<area>.deps`)."""
    engine = create_engine(settings)
    try:
        await prepare_schema(engine)
        sessions = create_sessions(engine)
        signer = TokenSigner(await signing_secret(settings, sessions), settings.ACCESS_TOKEN_TTL_S)
        async with contextlib.AsyncExitStack() as stack:
            stack.enter_context(telemetry_setup.providers(settings, engine, exporting))
            models = await stack.enter_async_context(open_models(settings))
            chat = ChatService(models, settings)
            store = GenerationStore(sessions, timedelta(seconds=settings.GENERATION_LEASE_S))
            redis = await stack.enter_async_context(open_redis(settings))
            log, stops = await stack.enter_async_context(open_event_log(settings, redis))
            ledger = UsageLedger(sessions)
            limits = Limits(None if redis is None else Limiter(redis), settings, redis, ledger)
            revocations = Revocations(sessions, redis, single_process=settings.workers == 1)
            await revocations.start()
            stack.push_async_callback(revocations.aclose)
            auth = AuthService(sessions, signer, revocations, settings)
            await stack.enter_async_context(open_sign_ins(settings, auth, sessions))
            user_memories = UserMemories(sessions, settings.MEMORIES_MAX_PER_USER)
            mcp = McpTools.from_settings(settings)
            if settings.TOOLS_ENABLED:
                mcp.start()  # in the background: no server delays the start, none down stops it
            stack.push_async_callback(mcp.aclose)
            documents = await stack.enter_async_context(
                open_documents(settings, sessions, models.embedding_upstream, limits)
            )
            toolkit = Toolkit(
                ToolPolicy.from_settings(settings),
                ToolServices(SearchService(sessions), user_memories, documents.search),
                settings,
                mcp,
            )
            runner = GenerationRunner(chat, store, log, stops, limits, toolkit, ledger)
            memory = Memory(models, sessions, settings, limits, ledger)
            titles = Titles(models, sessions, settings, limits, ledger)
            sweeper = asyncio.create_task(sweep_forever(store, log), name="sweeper")
            state: dict[str, Any] = {}
            SETTINGS.put(state, settings)
            CHAT.put(state, chat)
            AUTH.put(state, auth)
            ADMIN.put(state, AdminService(sessions, auth, settings.tiers))
            CONVERSATIONS.put(state, ConversationService(sessions))
            FEEDBACK.put(state, FeedbackService(sessions, settings))
            SHARES.put(state, ShareService(sessions))
            SEARCH.put(state, SearchService(sessions))
            USER_MEMORIES.put(state, user_memories)
            DOCUMENTS.put(state, documents.service)
            planner = TurnPlanner(
                sessions, settings, models, memory, user_memories, lambda: toolkit.definitions_tokens, documents.search
            )
            PLANNER.put(state, planner)
            GENERATIONS.put(state, Generations(runner, log, sessions))
            LIMITS.put(state, limits)
            TOOLKIT.put(state, toolkit)
            MEMORY.put(state, memory)
            TITLES.put(state, titles)
            try:
                yield state
            finally:
                await runner.drain(shutdown.time_left(settings.GRACEFUL_TIMEOUT_S))
                await memory.drain()
                await titles.drain()
                await ledger.drain()
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper
    finally:
        await engine.dispose()
