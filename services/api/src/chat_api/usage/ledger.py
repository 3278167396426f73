"""The daily ledger (`usage_daily`): what answers, refusals, summaries and titles spent, added to their user's
row for the day and model. Written behind: each worker sums what it was told for FLUSH_AFTER_S, then adds it
with one upsert (a row per user, day and model), so an answer costs no statement of its own; the sums left at
shutdown are written then. It never fails what called it: a database away (or a worker killed) loses those
sums, and the limits in Redis are what refuse."""

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import ModuleType
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite

from chat_api.storage.engine import Sessions
from chat_api.storage.models import UsageDaily
from chat_api.storage.outage import is_unreachable

logger = logging.getLogger("chat_api.usage")

COUNTERS = ("input_tokens", "output_tokens", "reasoning_tokens", "answers", "refusals", "tool_calls")


@dataclass(frozen=True)
class Spent:
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0  # of output_tokens, those a reasoning model spent reasoning
    answers: int = 0
    refusals: int = 0
    tool_calls: int = 0


REFUSAL = Spent(refusals=1)


def _upsert(dialect: ModuleType) -> Any:
    """The ledger's one statement, built once per dialect: building it per answer cost more than running it."""
    table = UsageDaily.__table__
    insert = dialect.insert(table).values(
        {name: bindparam(name, type_=table.c[name].type) for name in ("day", "user_id", "model", *COUNTERS)}
    )
    added = {name: table.c[name] + insert.excluded[name] for name in COUNTERS}
    return insert.on_conflict_do_update(index_elements=["day", "user_id", "model"], set_=added)


UPSERTS = {"postgresql": _upsert(postgresql), "sqlite": _upsert(sqlite)}


def today() -> date:
    return datetime.now(UTC).date()


FLUSH_AFTER_S = 1.0

Key = tuple[date, uuid.UUID, str]


class UsageLedger:
    def __init__(self, sessions: Sessions, flush_after_s: float = FLUSH_AFTER_S) -> None:
        self.sessions = sessions
        self.flush_after_s = flush_after_s
        self._due: dict[Key, list[int]] = {}
        self._flush: asyncio.Task[None] | None = None  # waiting to write what is due
        self._flushes: set[asyncio.Task[None]] = set()  # and those writing it

    def add(self, user_id: uuid.UUID, model: str, spent: Spent, day: date | None = None) -> None:
        """Adds `spent` to the user's row for the day and model (made when it is the first) within
        `flush_after_s`. Never raises; never waits."""
        counts = self._due.setdefault((day or today(), user_id, model[:128]), [0] * len(COUNTERS))
        for index, name in enumerate(COUNTERS):
            counts[index] += getattr(spent, name)
        if self._flush is None:
            self._flush = asyncio.create_task(self._flush_later(), name="usage-ledger")
            self._flushes.add(self._flush)
            self._flush.add_done_callback(self._flushes.discard)

    async def _flush_later(self) -> None:
        try:
            await asyncio.sleep(self.flush_after_s)
        finally:
            self._flush = None
        await self._write()

    async def _write(self) -> None:
        due, self._due = self._due, {}
        if not due:
            return
        rows = [
            {"day": day, "user_id": user_id, "model": model, **dict(zip(COUNTERS, counts, strict=True))}
            for (day, user_id, model), counts in due.items()
        ]
        try:
            async with self.sessions.autocommit() as session:
                await session.execute(UPSERTS[session.get_bind().dialect.name], rows)
        except Exception as error:
            logger.warning(
                "could not add to the usage ledger (%d rows lost)", len(rows), exc_info=not is_unreachable(error)
            )

    async def drain(self) -> None:
        """On shutdown: the writes under way end, and what is summed so far is written."""
        if self._flush is not None:
            self._flush.cancel()
        await asyncio.gather(*self._flushes, return_exceptions=True)
        await self._write()
