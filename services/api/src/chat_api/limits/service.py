"""The limits as the routes use them: admit a send (or refuse it, before any upstream call), settle it when
its answer ends, and say where a user stands. Without Redis (development) no limit applies."""

import dataclasses
import logging

from redis.asyncio import Redis

from chat_api.auth.tokens import Identity
from chat_api.chat.schemas import ChatRequest
from chat_api.http.errors import ApiError
from chat_api.http.middleware import RequestRecord
from chat_api.limits.counter import Count, Counter
from chat_api.limits.estimate import prompt_tokens, reservation
from chat_api.limits.guest_pool import GuestPool, PoolRefused, refusal_message
from chat_api.limits.limiter import DAY_S, Grant, Limiter, LimitRefused, Standing, hours
from chat_api.limits.policy import policy_for
from chat_api.settings import Settings
from chat_api.telemetry import metrics
from chat_api.usage.ledger import REFUSAL, UsageLedger

logger = logging.getLogger("chat_api.limits")


class Limits:
    def __init__(
        self,
        limiter: Limiter | None,
        settings: Settings,
        redis: Redis | None = None,
        ledger: UsageLedger | None = None,
    ) -> None:
        self.limiter = limiter
        self.settings = settings
        self.ledger = ledger  # counts the sends refused, per user and day
        self.counter = None if redis is None else Counter(redis)
        self.guest_pool = None if redis is None else GuestPool(redis, settings.GUEST_TOKENS_PER_DAY_TOTAL)
        self.new_guests = Count("guests_per_address", settings.GUESTS_PER_ADDRESS_PER_DAY, DAY_S)
        self.creates = Count("conversations_created", settings.CONVERSATIONS_CREATED_PER_MINUTE, 60)
        self.imports = Count("imports", settings.IMPORTS_PER_HOUR, 3600)
        self.shares = Count("shares_created", settings.SHARES_CREATED_PER_HOUR, 3600)
        if limiter is None:
            logger.warning("REDIS_URL is not set: no per-user limit or token budget applies")

    async def admit(
        self, identity: Identity, request: ChatRequest, record: RequestRecord, calls: int = 1, tools_tokens: int = 0
    ) -> Grant | None:
        """`calls`: the model calls the answer is expected to make (one that offers tools, with `tools_tokens` of
        their definitions in each: a round of them and the answer); what it really used is charged at its end."""
        if self.limiter is None:
            return None
        try:
            return await self._admit(identity, request, record, calls, tools_tokens)
        except ApiError as refused:
            if refused.status == 429 and self.ledger is not None:
                self.ledger.add(identity.user_id, request.model or self.settings.model, REFUSAL)
            raise

    async def _admit(
        self, identity: Identity, request: ChatRequest, record: RequestRecord, calls: int, tools_tokens: int
    ) -> Grant:
        assert self.limiter is not None
        reserved = reservation(request, self.settings, calls, tools_tokens)
        pool_day = await self._take_from_guest_pool(identity, reserved, record)
        try:
            grant = await self.limiter.admit(identity, policy_for(identity, self.settings), reserved)
        except Exception as error:
            if pool_day is not None and self.guest_pool is not None:
                await self.guest_pool.settle(pool_day, -reserved)  # nothing sent: all guests' budget gets it back
            if isinstance(error, LimitRefused):
                record.limit_refused = error.limit
                metrics.limit_refusals.add(1, {"chat.limit": error.limit})
            raise
        record.headers.update(grant.standing.headers())
        return dataclasses.replace(grant, guest_pool_day=pool_day)

    async def _take_from_guest_pool(self, identity: Identity, reserved: int, record: RequestRecord) -> int | None:
        if not identity.guest or self.guest_pool is None:
            return None
        taken = await self.guest_pool.take(reserved)
        if isinstance(taken, PoolRefused):
            record.limit_refused = "guest_tokens_per_day_total"
            metrics.limit_refusals.add(1, {"chat.limit": record.limit_refused})
            raise ApiError(429, "quota_exceeded", refusal_message(taken), {"Retry-After": str(taken.resets_in_s)})
        return taken

    async def admit_new_guest(self, address: str) -> None:
        """A guest session from `address`, or a 429: each is a user with a budget of its own."""
        await self._count(self.new_guests, address, "Too many guest sessions from your address today.")

    async def admit_create(self, identity: Identity) -> None:
        await self._count(self.creates, str(identity.user_id), "You are starting conversations too quickly.")

    async def admit_import(self, identity: Identity) -> None:
        await self._count(self.imports, str(identity.user_id), "You have imported conversations too often.")

    async def admit_share(self, identity: Identity) -> None:
        await self._count(self.shares, str(identity.user_id), "You have created too many share links this hour.")

    async def _count(self, count: Count, subject: str, refusal: str) -> None:
        if self.counter is None:
            return
        wait = await self.counter.take(count, subject)
        if wait is not None:
            metrics.limit_refusals.add(1, {"chat.limit": count.name})
            raise ApiError(429, "rate_limited", f"{refusal} Try again in {hours(wait)}.", {"Retry-After": str(wait)})

    async def charge(self, identity: Identity, tokens: int) -> Grant | None:
        """Reserves `tokens` for a summary (raises LimitRefused, or a 503 without Redis: then no model call);
        None when no limit applies."""
        if self.limiter is None:
            return None
        try:
            return await self.limiter.charge(identity, policy_for(identity, self.settings), tokens)
        except LimitRefused as refused:
            metrics.limit_refusals.add(1, {"chat.limit": refused.limit})
            raise

    def used(self, request: ChatRequest, prompt: int | None, completion: int | None, deltas: int) -> int:
        """What an answer cost: the model's own count, or (stopped or failed before it said) the prompt
        estimate plus one token a delta; nothing when no token came (refused or failed before the first)."""
        if prompt is not None and completion is not None:
            return prompt + completion
        if deltas == 0 and prompt is None:
            return 0
        return (prompt if prompt is not None else prompt_tokens(request, self.settings.SYSTEM_PROMPT)) + deltas

    async def forget(self, identity: Identity) -> None:
        if self.limiter is not None:
            await self.limiter.forget(identity.user_id)

    async def settle(self, grant: Grant | None, used: int) -> None:
        if grant is not None and self.limiter is not None:
            await self.limiter.settle(grant, used)
            if grant.guest_pool_day is not None and self.guest_pool is not None:
                await self.guest_pool.settle(grant.guest_pool_day, used - grant.reserved)

    async def usage(self, identity: Identity) -> Standing | None:
        if self.limiter is None:
            return None
        return await self.limiter.usage(identity, policy_for(identity, self.settings))
