"""The limits, kept in Redis so they hold across workers and replicas; every check-and-take is one Lua script.

A send is admitted only if all three allow it, and then takes from all three at once: a request in this
minute's window, a slot among the user's streams, and its token reservation (prompt estimate plus
`max_tokens`) from today's budget. When the answer ends, `settle` gives the slot back and turns the
reservation into what the model really used. A budget cannot go past its limit through concurrency: two
sends at the same moment are checked one after the other, inside Redis.

Redis out of reach: sends are refused with a 503 (spending is never left unlimited); they pass again as soon
as Redis answers.
"""

import logging
import uuid
from dataclasses import dataclass
from enum import IntEnum
from typing import Final, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from chat_api.auth.tokens import Identity
from chat_api.http.errors import ApiError
from chat_api.limits.policy import Policy

logger = logging.getLogger("chat_api.limits")

RATE_WINDOW_S: Final = 60
DAY_S: Final = 86_400
STREAM_TTL_S: Final = 600  # a stream slot a crashed replica never gave back frees itself after this


class Mode(IntEnum):
    """What ADMIT does."""

    READ = 0
    ADMIT_SEND = 1
    # The model work a send leads to (a summary): refused as a send would be by the rate or the budget, but it
    # takes neither a request of the minute nor a stream slot, only its reservation.
    CHARGE = 2


class Verdict(IntEnum):
    """ADMIT's answer."""

    ADMITTED = 0  # (or read)
    RATE_LIMITED = 1
    STREAMS_FULL = 2
    OVER_BUDGET = 3


def _lua_constants(*groups: type[IntEnum]) -> str:
    """The Python names and numbers as Lua locals, so that both sides of a script read the same constants."""
    members = [member for group in groups for member in group]
    windows = {"RATE_WINDOW_S": RATE_WINDOW_S, "DAY_S": DAY_S, "STREAM_TTL_S": STREAM_TTL_S}
    names = [member.name for member in members] + list(windows)
    values = [str(int(member)) for member in members] + [str(value) for value in windows.values()]
    return f"local {', '.join(names)} = {', '.join(values)}\n"


# KEYS: rate hash {start, count}, streams sorted set (member: stream id, score: expiry), budget hash {day, used}
# ARGV: rpm, streams limit, stream id, tokens per day, reservation, mode (`Mode`).
# Returns: verdict (`Verdict`), requests this window, window resets in, active streams, tokens used today, day,
# seconds to the day's end.
ADMIT: Final = (
    _lua_constants(Mode, Verdict)
    + """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local mode = tonumber(ARGV[6])
local start = tonumber(redis.call('HGET', KEYS[1], 'start') or '0')
local count = tonumber(redis.call('HGET', KEYS[1], 'count') or '0')
if now - start >= RATE_WINDOW_S then start = now; count = 0 end
local window_left = math.max(1, math.ceil(start + RATE_WINDOW_S - now))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local streams = redis.call('ZCARD', KEYS[2])
local day = math.floor(now / DAY_S)
local used = 0
if tonumber(redis.call('HGET', KEYS[3], 'day') or '-1') == day then
  used = tonumber(redis.call('HGET', KEYS[3], 'used') or '0')
end
local day_left = math.max(1, math.ceil((day + 1) * DAY_S - now))
local verdict = ADMITTED
if mode == CHARGE then
  if count >= tonumber(ARGV[1]) then verdict = RATE_LIMITED
  elseif used + tonumber(ARGV[5]) > tonumber(ARGV[4]) then verdict = OVER_BUDGET
  else
    used = used + tonumber(ARGV[5])
    redis.call('HSET', KEYS[3], 'day', day, 'used', used)
    redis.call('EXPIRE', KEYS[3], 2 * DAY_S)
  end
elseif mode == ADMIT_SEND then
  if count >= tonumber(ARGV[1]) then verdict = RATE_LIMITED
  elseif streams >= tonumber(ARGV[2]) then verdict = STREAMS_FULL
  elseif used + tonumber(ARGV[5]) > tonumber(ARGV[4]) then verdict = OVER_BUDGET
  else
    count = count + 1
    redis.call('HSET', KEYS[1], 'start', tostring(start), 'count', count)
    redis.call('EXPIRE', KEYS[1], 2 * RATE_WINDOW_S)
    streams = streams + 1
    redis.call('ZADD', KEYS[2], now + STREAM_TTL_S, ARGV[3])
    redis.call('EXPIRE', KEYS[2], STREAM_TTL_S)
    used = used + tonumber(ARGV[5])
    redis.call('HSET', KEYS[3], 'day', day, 'used', used)
    redis.call('EXPIRE', KEYS[3], 2 * DAY_S)
  end
end
return {verdict, count, window_left, streams, used, day, day_left}
"""
)

# KEYS: streams, budget. ARGV: stream id, the day of the reservation, tokens to add (negative: a refund).
SETTLE: Final = """
redis.call('ZREM', KEYS[1], ARGV[1])
if tonumber(redis.call('HGET', KEYS[2], 'day') or '-1') == tonumber(ARGV[2]) then
  local used = tonumber(redis.call('HGET', KEYS[2], 'used') or '0') + tonumber(ARGV[3])
  redis.call('HSET', KEYS[2], 'used', math.max(0, used))
end
return 1
"""


@dataclass(frozen=True)
class Standing:
    """Where a user stands: for `GET /api/me/usage` and the `RateLimit` headers."""

    policy: Policy
    requests: int  # in the current one-minute window
    window_resets_in_s: int
    streams: int
    tokens_used: int  # today (UTC), reservations of running answers included
    day_resets_in_s: int

    def headers(self) -> dict[str, str]:
        """`RateLimit-Policy` and `RateLimit` (IETF httpapi draft), for requests and tokens."""
        requests_left = max(0, self.policy.requests_per_minute - self.requests)
        tokens_left = max(0, self.policy.tokens_per_day - self.tokens_used)
        return {
            "RateLimit-Policy": f'"requests";q={self.policy.requests_per_minute};w={RATE_WINDOW_S}, '
            f'"tokens";q={self.policy.tokens_per_day};w={DAY_S}',
            "RateLimit": f'"requests";r={requests_left};t={self.window_resets_in_s}, '
            f'"tokens";r={tokens_left};t={self.day_resets_in_s}',
        }


@dataclass(frozen=True)
class Grant:
    """An admitted send: its stream slot and its reservation, to settle when the answer ends."""

    user_id: uuid.UUID
    stream_id: str
    day: int
    reserved: int
    standing: Standing
    guest_pool_day: int | None = None  # a guest's: the day its reservation was also taken from all guests' budget


def keys(user_id: uuid.UUID) -> tuple[str, str, str]:
    base = f"chat:limits:{user_id}"
    return f"{base}:rate", f"{base}:streams", f"{base}:tokens"


def unavailable() -> ApiError:
    return ApiError(
        503,
        "limits_unavailable",
        "Usage limits cannot be checked right now, so nothing was sent. Please retry in a few seconds.",
        {"Retry-After": "2"},
    )


class Limiter:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._admit = redis.register_script(ADMIT)
        self._settle = redis.register_script(SETTLE)

    async def forget(self, user_id: uuid.UUID) -> None:
        """A deleted user's counts go with it (a Redis out of reach: they expire within a day)."""
        try:
            await self._redis.delete(*keys(user_id))
        except RedisError:
            logger.warning("could not forget a deleted user's limits", exc_info=True)

    async def _run(
        self, identity: Identity, policy: Policy, reservation: int, mode: Mode
    ) -> tuple[Verdict, Standing, str, int]:
        stream_id = uuid.uuid4().hex
        args: list[str | int] = [
            policy.requests_per_minute,
            policy.concurrent_streams,
            stream_id,
            policy.tokens_per_day,
            reservation,
            int(mode),
        ]
        try:
            reply = cast("list[int]", await self._admit(keys=list(keys(identity.user_id)), args=args))
        except RedisError:
            logger.warning("Redis is out of reach: sends are refused until it answers", exc_info=True)
            raise unavailable() from None
        verdict, count, window_left, streams, used, day, day_left = (int(value) for value in reply)
        return Verdict(verdict), Standing(policy, count, window_left, streams, used, day_left), stream_id, day

    async def admit(self, identity: Identity, policy: Policy, reservation: int) -> Grant:
        """Takes a request, a stream slot and `reservation` tokens, or refuses with a 429 that says which
        limit and when it frees."""
        verdict, standing, stream_id, day = await self._run(identity, policy, reservation, Mode.ADMIT_SEND)
        return self._granted(identity, policy, reservation, verdict, standing, stream_id, day)

    async def charge(self, identity: Identity, policy: Policy, reservation: int) -> Grant:
        """Takes `reservation` tokens for model work a send leads to (a summary), or refuses with the 429 a
        send would get now from the rate or the budget."""
        verdict, standing, stream_id, day = await self._run(identity, policy, reservation, Mode.CHARGE)
        return self._granted(identity, policy, reservation, verdict, standing, stream_id, day)

    @staticmethod
    def _granted(
        identity: Identity,
        policy: Policy,
        reservation: int,
        verdict: Verdict,
        standing: Standing,
        stream_id: str,
        day: int,
    ) -> Grant:
        if verdict == Verdict.RATE_LIMITED:
            raise LimitRefused(
                "requests_per_minute",
                "rate_limited",
                f"You have sent {policy.requests_per_minute} messages this minute, the most allowed. "
                f"Try again in {standing.window_resets_in_s} s.",
                standing.window_resets_in_s,
                standing,
            )
        if verdict == Verdict.STREAMS_FULL:
            raise LimitRefused(
                "concurrent_streams",
                "rate_limited",
                f"{policy.concurrent_streams} answers are already being written for you, the most at once. "
                "Wait for one to end, or stop one.",
                5,
                standing,
            )
        if verdict == Verdict.OVER_BUDGET:
            raise LimitRefused(
                "tokens_per_day",
                "quota_exceeded",
                f"Today's budget of {policy.tokens_per_day:,} tokens would be exceeded by this message "
                f"(up to {reservation:,} with its answer; {max(0, policy.tokens_per_day - standing.tokens_used):,} "
                f"left). It resets in {hours(standing.day_resets_in_s)}, at midnight UTC.",
                standing.day_resets_in_s,
                standing,
            )
        return Grant(identity.user_id, stream_id, day, reservation, standing)

    async def usage(self, identity: Identity, policy: Policy) -> Standing:
        _, standing, _, _ = await self._run(identity, policy, 0, Mode.READ)
        return standing

    async def settle(self, grant: Grant, used: int) -> None:
        """The answer ended: its stream slot back, and its reservation turned into `used` tokens."""
        _, streams, budget = keys(grant.user_id)
        try:
            await self._settle(keys=[streams, budget], args=[grant.stream_id, grant.day, used - grant.reserved])
        except RedisError:
            # The slot frees itself within STREAM_TTL_S; the reservation stays charged (never less than used).
            logger.warning("could not settle an answer's tokens in Redis", exc_info=True)


def hours(seconds: int) -> str:
    return f"{seconds // 3600} h {seconds % 3600 // 60} min" if seconds >= 3600 else f"{-(-seconds // 60)} min"


class LimitRefused(ApiError):
    """A 429 from a per-user limit; `limit` names it (for the log line)."""

    def __init__(self, limit: str, code: str, message: str, retry_after_s: int, standing: Standing) -> None:
        super().__init__(429, code, message, {"Retry-After": str(retry_after_s), **standing.headers()})
        self.limit = limit
