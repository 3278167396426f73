"""Keyset pages of a list, newest first by (a moment, an id). A page's cursor says where it ended, as
`<microseconds since 1970>.<id, hex>`: any string of that shape is a place in the list (possibly past its end),
so a well-formed cursor is never refused."""

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

CURSOR_PATTERN = r"^[0-9]{1,20}\.[0-9a-f]{32}$"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Row = TypeVar("Row")
Query = TypeVar("Query", bound=Select[Any])


def cursor_at(moment: datetime, ident: uuid.UUID) -> str:
    microseconds = (moment - _EPOCH) // timedelta(microseconds=1)
    return f"{microseconds}.{ident.hex}"


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    microseconds, _, ident = cursor.partition(".")
    try:
        moment = _EPOCH + timedelta(microseconds=int(microseconds))
    except OverflowError:
        moment = datetime.max.replace(tzinfo=UTC)  # past every row: the list from its start
    return moment, uuid.UUID(hex=ident)


def newest_first(
    query: Query,
    moment: InstrumentedAttribute[datetime],
    ident: InstrumentedAttribute[uuid.UUID],
    cursor: str | None,
    limit: int,
) -> Query:
    """The page after `cursor`, with one row more than `limit`: that one says whether another page follows."""
    if cursor:
        at, last = decode_cursor(cursor)
        query = query.where(tuple_(moment, ident) < tuple_(at, last))
    return query.order_by(moment.desc(), ident.desc()).limit(limit + 1)


def page_of(
    rows: Sequence[Row], limit: int, key: Callable[[Row], tuple[datetime, uuid.UUID]]
) -> tuple[list[Row], str | None]:
    """The rows of a page read by `newest_first`, and the cursor of the next (None at the end)."""
    kept = list(rows[:limit])
    return kept, cursor_at(*key(kept[-1])) if len(rows) > limit and kept else None
