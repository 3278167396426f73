"""What each worker builds once and every request shares, wired together; torn down in reverse at shutdown."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from chat_api.auth.oidc.service import open_sign_ins
from chat_api.auth.revocation import Revocations
from chat_api.auth.secret import signing_secret
from chat_api.auth.service import AuthService
from chat_api.auth.tokens import TokenSigner
from chat_api.chat.service import ChatService
from chat_api.chat.upstream import open_upstream
from chat_api.conversations.service import ConversationService
from chat_api.generations.local_log import LocalEventLog
from chat_api.generations.redis_log import RedisEventLog
from chat_api.generations.runner import INTERRUPTED, EventLog, GenerationRunner, error_event
from chat_api.generations.service import Generations
from chat_api.generations.store import GenerationStore
from chat_api.generations.turns import TurnPlanner
from chat_api.limits.limiter import Limiter
from chat_api.limits.service import Limits
from chat_api.memory.service import Memory
from chat_api.redis_connection import look_names_up_first
from chat_api.server import shutdown
from chat_api.settings import Settings
from chat_api.state import AppState
from chat_api.storage.engine import create_engine, create_sessions
from chat_api.storage.outage import is_unreachable
from chat_api.storage.schema import prepare_schema
from chat_api.telemetry import setup as telemetry

logger = logging.getLogger("chat_api")
SWEEP_EVERY_S = 2.0


async def sweep_forever(store: GenerationStore, log: EventLog) -> None:
    """Answers whose owner died are marked interrupted a few seconds after its lease lapsed, keeping every word
    their readers saw (the event log has what the last save missed), and their readers, wherever they are, are
    told.

    While the database is away no owner can renew its lease, so when it is back every lease may have lapsed:
    the owners still alive (they retry every second) then get a lease and a sweep's interval to renew theirs
    before this sweeps again."""
    away = False
    while True:
        await asyncio.sleep(SWEEP_EVERY_S)
        try:
            if away:
                await store.reachable()
                away = False
                await asyncio.sleep(store.lease.total_seconds() + SWEEP_EVERY_S)
            swept = await store.sweep()
            for answer_id, saved in swept:
                seen = await log.text_of(str(answer_id))
                if seen is not None and len(seen) > len(saved):
                    await store.recover(answer_id, seen)
                await log.interrupted(str(answer_id), error_event(INTERRUPTED))
        except Exception as error:
            if not away:
                logger.warning("could not sweep for interrupted answers", exc_info=not is_unreachable(error))
            away = True
            continue
        if swept:
            logger.info("answers interrupted (their owner stopped)", extra={"fields": {"answers": len(swept)}})


@asynccontextmanager
async def open_redis(settings: Settings) -> AsyncIterator[Redis | None]:
    if settings.REDIS_URL is None:
        yield None
        return
    # A connection the pool kept across a Redis restart fails its next command ("Connection closed by server"):
    # reconnected and sent once more, that command is not lost (a Stop, a send's limits, a sweeper's read). A
    # command whose connection broke after it ran is sent twice too: the event log's append checks the Stream's
    # last id, a second Stop is the same Stop, and the limits count that send twice, never less.
    redis = look_names_up_first(
        Redis.from_url(
            settings.REDIS_URL.get_secret_value(),
            max_connections=200,
            retry=Retry(NoBackoff(), retries=1),
            retry_on_error=[RedisConnectionError],
        )
    )
    try:
        yield redis
    finally:
        await redis.aclose()


@asynccontextmanager
async def open_event_log(settings: Settings, redis: Redis | None) -> AsyncIterator[EventLog]:
    if redis is None:
        if settings.workers > 1:
            logger.warning(
                "REDIS_URL is not set: answers are followed and stopped within one worker process only; "
                "set REDIS_URL (or WEB_CONCURRENCY=1)"
            )
        log: EventLog = LocalEventLog(keep_after_end_s=settings.GENERATION_KEEP_S)
        try:
            yield log
        finally:
            await log.aclose()
        return
    shared = RedisEventLog(redis, keep_after_end_s=settings.GENERATION_KEEP_S)
    await shared.start()
    try:
        yield shared
    finally:
        await shared.aclose()


@asynccontextmanager
async def open_services(settings: Settings, exporting: telemetry.Exporting | None = None) -> AsyncIterator[AppState]:
    engine = create_engine(settings)
    try:
        await prepare_schema(engine)
        sessions = create_sessions(engine)
        signer = TokenSigner(await signing_secret(settings, sessions), settings.ACCESS_TOKEN_TTL_S)
        async with contextlib.AsyncExitStack() as stack:
            stack.enter_context(telemetry.providers(settings, engine, exporting))
            upstream = await stack.enter_async_context(open_upstream(settings))
            chat = ChatService(upstream, settings)
            store = GenerationStore(sessions, timedelta(seconds=settings.GENERATION_LEASE_S))
            redis = await stack.enter_async_context(open_redis(settings))
            log = await stack.enter_async_context(open_event_log(settings, redis))
            limits = Limits(None if redis is None else Limiter(redis), settings, redis)
            revocations = Revocations(sessions, redis, single_process=settings.workers == 1)
            await revocations.start()
            stack.push_async_callback(revocations.aclose)
            auth = AuthService(sessions, signer, revocations, settings)
            await stack.enter_async_context(open_sign_ins(settings, auth, sessions))
            runner = GenerationRunner(chat, store, log, limits)
            memory = Memory(upstream, sessions, settings, limits)
            sweeper = asyncio.create_task(sweep_forever(store, log), name="sweeper")
            try:
                yield AppState(
                    settings=settings,
                    chat=chat,
                    sessions=sessions,
                    auth=auth,
                    conversations=ConversationService(sessions),
                    planner=TurnPlanner(sessions, settings, upstream.model, memory),
                    generations=Generations(runner, log, sessions),
                    limits=limits,
                    memory=memory,
                )
            finally:
                await runner.drain(shutdown.time_left(settings.GRACEFUL_TIMEOUT_S))
                await memory.drain()
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper
    finally:
        await engine.dispose()
