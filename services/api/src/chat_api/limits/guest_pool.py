"""The day's budget all guests share (each guest also has its own): a guest's reservation is taken from it at
admission and settled with what the answer used, as the guest's own budget is. Accounts never touch it."""

import logging
from dataclasses import dataclass
from typing import Final, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from chat_api.limits.limiter import hours, unavailable
from chat_api.telemetry import metrics

logger = logging.getLogger("chat_api.limits")

KEY: Final = "chat:limits:guests:tokens"

# KEYS: the pool hash {day, used}. ARGV: the day's total, the reservation.
# Returns: admitted (1) or not (0), tokens used today, day, seconds to the day's end.
TAKE: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local day = math.floor(now / 86400)
local used = 0
if tonumber(redis.call('HGET', KEYS[1], 'day') or '-1') == day then
  used = tonumber(redis.call('HGET', KEYS[1], 'used') or '0')
end
local day_left = math.max(1, math.ceil((day + 1) * 86400 - now))
if used + tonumber(ARGV[2]) > tonumber(ARGV[1]) then return {0, used, day, day_left} end
used = used + tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'day', day, 'used', used)
redis.call('EXPIRE', KEYS[1], 172800)
return {1, used, day, day_left}
"""

# KEYS: the pool. ARGV: the day of the reservation, tokens to add (negative: a refund). Returns: used today.
SETTLE: Final = """
if tonumber(redis.call('HGET', KEYS[1], 'day') or '-1') ~= tonumber(ARGV[1]) then return -1 end
local used = math.max(0, tonumber(redis.call('HGET', KEYS[1], 'used') or '0') + tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'used', used)
return used
"""


@dataclass(frozen=True)
class PoolRefused:
    used: int
    resets_in_s: int


class GuestPool:
    def __init__(self, redis: Redis, total: int) -> None:
        self.total = total
        self._take = redis.register_script(TAKE)
        self._settle = redis.register_script(SETTLE)

    async def take(self, reservation: int) -> int | PoolRefused:
        """The day the reservation was taken on, or why it was not."""
        try:
            reply = cast("list[int]", await self._take(keys=[KEY], args=[self.total, reservation]))
        except RedisError:
            logger.warning("Redis is out of reach: sends are refused until it answers", exc_info=True)
            raise unavailable() from None
        admitted, used, day, day_left = (int(value) for value in reply)
        metrics.guest_tokens_today.set(used)
        return day if admitted else PoolRefused(used, day_left)

    async def settle(self, day: int, delta: int) -> None:
        try:
            used = int(await self._settle(keys=[KEY], args=[day, delta]))
        except RedisError:
            logger.warning("could not settle a guest answer's tokens in the guests' budget", exc_info=True)
            return
        if used >= 0:
            metrics.guest_tokens_today.set(used)


def refusal_message(refused: PoolRefused) -> str:
    return (
        "Guests have used today's shared budget of tokens. Sign up for an account to keep chatting, or come back "
        f"in {hours(refused.resets_in_s)} (midnight UTC)."
    )
