"""The limits as the routes use them: admit a send (or refuse it, before any upstream call), settle it when
its answer ends, and say where a user stands. Without Redis (development) no limit applies."""

import logging

from chat_api.auth.tokens import Identity
from chat_api.chat.schemas import ChatRequest
from chat_api.http.middleware import RequestRecord
from chat_api.limits.estimate import prompt_tokens, reservation
from chat_api.limits.limiter import Grant, Limiter, LimitRefused, Usage
from chat_api.limits.policy import policy_for
from chat_api.settings import Settings
from chat_api.telemetry import metrics as telemetry

logger = logging.getLogger("chat_api.limits")


class Limits:
    def __init__(self, limiter: Limiter | None, settings: Settings) -> None:
        self.limiter = limiter
        self.settings = settings
        if limiter is None:
            logger.warning("REDIS_URL is not set: no per-user limit or token budget applies")

    async def admit(self, identity: Identity, request: ChatRequest, record: RequestRecord) -> Grant | None:
        if self.limiter is None:
            return None
        try:
            grant = await self.limiter.admit(
                identity, policy_for(identity, self.settings), reservation(request, self.settings)
            )
        except LimitRefused as refused:
            record.limit_refused = refused.limit
            telemetry.limit_refusals.add(1, {"chat.limit": refused.limit})
            raise
        record.headers.update(grant.usage.headers())
        return grant

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

    async def usage(self, identity: Identity) -> Usage | None:
        if self.limiter is None:
            return None
        return await self.limiter.usage(identity, policy_for(identity, self.settings))
