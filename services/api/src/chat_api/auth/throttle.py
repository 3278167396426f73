"""Failed sign-ins, counted per account and per address in a window (in the database, so every replica sees
the same counts). Past the limit, sign-in is refused with 429 until the window ends."""

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_api.http.errors import ApiError
from chat_api.storage.dialects import insert_for
from chat_api.storage.models import LoginThrottle, utcnow


@dataclass(frozen=True)
class LoginLimits:
    window_s: int
    per_account: int
    per_address: int


def keys(email: str, address: str) -> dict[str, str]:
    return {"account": f"account:{email}", "address": f"address:{address}"}


async def check(session: AsyncSession, limits: LoginLimits, email: str, address: str) -> None:
    """429 when either key has had too many failures in the current window."""
    now = utcnow()
    caps = {"account": limits.per_account, "address": limits.per_address}
    names = keys(email, address)
    rows = (await session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(names.values())))).all()
    for row in rows:
        ends = row.window_started_at + timedelta(seconds=limits.window_s)
        kind = next(kind for kind, key in names.items() if key == row.key)
        if ends > now and row.failures >= caps[kind]:
            wait = math.ceil((ends - now).total_seconds())
            raise ApiError(
                429,
                "rate_limited",
                f"Too many failed sign-ins. Try again in {math.ceil(wait / 60)} minutes.",
                {"Retry-After": str(wait)},
            )


async def record_failure(session: AsyncSession, limits: LoginLimits, email: str, address: str) -> None:
    now = utcnow()
    window_start = now - timedelta(seconds=limits.window_s)
    for key in keys(email, address).values():
        table = LoginThrottle.__table__
        statement = insert_for(session, LoginThrottle).values(key=key, failures=1, window_started_at=now)
        # In one statement, so concurrent failures all count: a new window starts when the old one has ended.
        expired = table.c.window_started_at < window_start
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "failures": case((expired, 1), else_=table.c.failures + 1),
                    "window_started_at": case((expired, now), else_=table.c.window_started_at),
                },
            )
        )


async def forget_account(session: AsyncSession, email: str) -> None:
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key == f"account:{email}"))
