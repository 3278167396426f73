"""Fixed-window counts in Redis (one Lua script: check and take together, so concurrent requests cannot pass a
limit): new guests per address a day, conversations a user starts a minute, imports a user makes an hour."""

import logging
from dataclasses import dataclass
from typing import Final, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from chat_api.http.errors import ApiError

logger = logging.getLogger("chat_api.limits")

# KEYS: the count's key without its window. ARGV: limit, window in seconds.
# Returns: admitted (1) or not (0), the count in this window, seconds until the window ends.
TAKE: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[2])
local index = math.floor(now / window)
local key = KEYS[1] .. ':' .. index
local count = tonumber(redis.call('GET', key) or '0')
local left = math.max(1, math.ceil((index + 1) * window - now))
if count >= tonumber(ARGV[1]) then return {0, count, left} end
count = redis.call('INCR', key)
redis.call('EXPIRE', key, window + 60)
return {1, count, left}
"""


@dataclass(frozen=True)
class Count:
    name: str  # in the key, and in the log line of a refusal
    limit: int
    window_s: int


class Counter:
    def __init__(self, redis: Redis) -> None:
        self._take = redis.register_script(TAKE)

    async def take(self, count: Count, subject: str) -> int | None:
        """Counts one for `subject`: None when admitted, else the seconds until its window ends."""
        try:
            key = f"chat:count:{count.name}:{subject}"
            reply = cast("list[int]", await self._take(keys=[key], args=[count.limit, count.window_s]))
        except RedisError:
            logger.warning("Redis is out of reach: %s refused until it answers", count.name, exc_info=True)
            raise ApiError(
                503,
                "limits_unavailable",
                "Usage limits cannot be checked right now, so nothing was done. Please retry in a few seconds.",
                {"Retry-After": "2"},
            ) from None
        admitted, _, left = (int(value) for value in reply)
        return None if admitted else left
