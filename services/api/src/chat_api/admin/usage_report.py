"""The ledger (usage_daily) summed by user, day or model over a range of days, with filters: one statement for
the rows and one for the totals, on either database."""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_api.admin.schemas import Grouping, UsageRow, UsageTotals
from chat_api.storage.models import UsageDaily, User
from chat_api.usage.ledger import COUNTERS


@dataclass(frozen=True)
class UsageFilter:
    from_day: date
    to_day: date
    user_id: uuid.UUID | None = None
    model: str | None = None


def _sums() -> list[ColumnElement[Any]]:
    # Postgres sums a bigint to a numeric: cast back, so both databases give integers.
    return [cast(func.coalesce(func.sum(getattr(UsageDaily, name)), 0), BigInteger).label(name) for name in COUNTERS]


def _filtered(query: Select[Any], where: UsageFilter) -> Select[Any]:
    query = query.where(UsageDaily.day >= where.from_day, UsageDaily.day <= where.to_day)
    if where.user_id is not None:
        query = query.where(UsageDaily.user_id == where.user_id)
    if where.model is not None:
        query = query.where(UsageDaily.model == where.model)
    return query


def _grouped(group: Grouping) -> Select[Any]:
    tokens = func.sum(UsageDaily.input_tokens + UsageDaily.output_tokens)
    if group == "day":
        return select(UsageDaily.day, *_sums()).group_by(UsageDaily.day).order_by(UsageDaily.day.desc())
    if group == "model":
        return select(UsageDaily.model, *_sums()).group_by(UsageDaily.model).order_by(tokens.desc(), UsageDaily.model)
    return (
        select(UsageDaily.user_id, User.email, User.display_name, *_sums())
        .outerjoin(User, User.id == UsageDaily.user_id)
        .group_by(UsageDaily.user_id, User.email, User.display_name)
        .order_by(tokens.desc(), UsageDaily.user_id)
    )


async def usage_rows(
    session: AsyncSession, group: Grouping, where: UsageFilter, limit: int
) -> tuple[list[UsageRow], bool]:
    """The rows (at most `limit`) and whether more matched."""
    found = (await session.execute(_filtered(_grouped(group), where).limit(limit + 1))).mappings().all()
    rows = [
        UsageRow(
            day=row.get("day"),
            user_id=row.get("user_id"),
            user=row.get("email") or row.get("display_name"),
            model=row.get("model"),
            **{name: int(row[name]) for name in COUNTERS},
        )
        for row in found[:limit]
    ]
    return rows, len(found) > limit


async def usage_totals(session: AsyncSession, where: UsageFilter) -> UsageTotals:
    row = (await session.execute(_filtered(select(*_sums()), where))).mappings().one()
    return UsageTotals(**{name: int(row[name]) for name in COUNTERS})
