"""Sign-in attempts, counted BEFORE the password is checked, in the database (every replica sees the same
counts; the api needs no Redis for this), under three keys: the account from this address (a small limit), the
account from anywhere (a much higher ceiling) and the address for every account.

Each key is counted by one upsert that also decides, so attempts at the same moment are counted one after the
other and a slow password check cannot let more through than the limit. Under a key's limit an attempt goes on
at once. At the limit, the next attempt must wait a delay that doubles with each further one (FIRST_DELAY_S,
then 2x, 4x, ... up to the limits' max_delay_s); one that comes earlier is refused with 429 and `Retry-After`
and is not counted. A slowdown, never a fixed lockout: failures from other addresses never lock the owner out
of their own; past the account's ceiling they slow everyone down. A success from an address clears that
account-and-address key and gives back the attempt it counted on the others. Counts start again a window after
their first attempt.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, case, delete, literal, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chat_api.http.errors import ApiError
from chat_api.storage.dialects import insert_for
from chat_api.storage.models import LoginThrottle, UtcDateTime, utcnow

FIRST_DELAY_S: Final = 5


@dataclass(frozen=True)
class LoginLimits:
    window_s: int
    per_account_and_address: int
    per_account: int
    per_address: int
    max_delay_s: int

    def delay_s(self, attempts: int, limit: int) -> int | None:
        """How long the attempt after `attempts` must wait under a key whose limit is `limit` (None: not at all)."""
        if attempts < limit:
            return None
        return min(self.max_delay_s, FIRST_DELAY_S << min(attempts - limit, 30))


def keys(limits: LoginLimits, account: str, address: str) -> list[tuple[str, int]]:
    """Each key and its limit, always in this order (so concurrent upserts take their row locks in one order)."""
    return [
        (f"pair:{account}|{address}", limits.per_account_and_address),
        (f"account:{account}", limits.per_account),
        (f"address:{address}", limits.per_address),
    ]


async def count_attempt(session: AsyncSession, limits: LoginLimits, account: str, address: str) -> None:
    """Counts this attempt under every key, or raises 429 (and the caller's transaction rolls back, so nothing is
    counted) when one of them says wait."""
    now = utcnow()
    for key, limit in keys(limits, account, address):
        counted: int | None = await session.scalar(_upsert(session, limits, key, limit, now))
        if counted is None:
            blocked_until = await session.scalar(select(LoginThrottle.blocked_until).where(LoginThrottle.key == key))
            # From now, not from `now`: the upsert may have waited for another attempt's row lock.
            wait = (blocked_until - utcnow()).total_seconds() if blocked_until is not None else 1
            raise too_many(max(1, math.ceil(wait)))


def _upsert(session: AsyncSession, limits: LoginLimits, key: str, limit: int, now: datetime) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE ... WHERE not waiting ... RETURNING attempts: no row back means refused.
    The delay is spelt out as a CASE over the few attempt counts where it still grows, so the statement is the
    same on Postgres and SQLite."""
    table = LoginThrottle.__table__
    expired = table.c.window_started_at <= now - timedelta(seconds=limits.window_s)
    attempts = case((expired, 1), else_=table.c.failures + 1)
    return (
        insert_for(session, LoginThrottle)
        .values(key=key, failures=1, window_started_at=now, blocked_until=_until(limits, 1, limit, now))
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": attempts,
                "window_started_at": case((expired, now), else_=table.c.window_started_at),
                "blocked_until": _blocked_until(limits, attempts, limit, now),
            },
            where=or_(table.c.blocked_until.is_(None), table.c.blocked_until <= now),
        )
        .returning(table.c.failures)
    )


def _until(limits: LoginLimits, attempts: int, limit: int, now: datetime) -> datetime | None:
    delay = limits.delay_s(attempts, limit)
    return None if delay is None else now + timedelta(seconds=delay)


def _blocked_until(limits: LoginLimits, attempts: ColumnElement[Any], limit: int, now: datetime) -> Any:
    whens: list[tuple[ColumnElement[bool], Any]] = [(attempts < limit, null())]
    count = limit
    while (delay := limits.delay_s(count, limit)) is not None and delay < limits.max_delay_s:
        whens.append((attempts == count, literal(now + timedelta(seconds=delay), UtcDateTime())))
        count += 1
    return case(*whens, else_=literal(now + timedelta(seconds=limits.max_delay_s), UtcDateTime()))


async def signed_in(session: AsyncSession, limits: LoginLimits, account: str, address: str) -> None:
    """The attempt was the owner's: the account-and-address key is cleared, the others get their attempt back."""
    (pair, _), *others = keys(limits, account, address)
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key == pair))
    await session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key.in_([key for key, _ in others]), LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1)
    )


def too_many(wait_s: int) -> ApiError:
    return ApiError(
        429,
        "rate_limited",
        f"Too many sign-in attempts. Try again in {_duration(wait_s)}.",
        {"Retry-After": str(wait_s)},
    )


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"
