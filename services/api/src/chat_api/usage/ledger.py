"""The daily ledger (`usage_daily`): one upsert adds what an answer, a refusal or a summary spent to its user's
row for the day and model. The write comes after the answer is saved and sent, and never fails what called it
(a database away loses that entry; the limits in Redis are what refuse)."""

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


class UsageLedger:
    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions
        self._pending: set[asyncio.Task[None]] = set()

    async def add(self, user_id: uuid.UUID, model: str, spent: Spent, day: date | None = None) -> None:
        """Adds `spent` to the user's row for the day and model (made when it is the first). Never raises."""
        values = {name: getattr(spent, name) for name in COUNTERS}
        try:
            async with self.sessions.autocommit() as session:
                await session.execute(
                    UPSERTS[session.get_bind().dialect.name],
                    {"day": day or today(), "user_id": user_id, "model": model[:128], **values},
                )
        except Exception as error:
            logger.warning("could not add to the usage ledger", exc_info=not is_unreachable(error))

    def add_soon(self, user_id: uuid.UUID, model: str, spent: Spent) -> None:
        """As `add`, without waiting for it (a refusal's answer goes out at once)."""
        task = asyncio.create_task(self.add(user_id, model, spent))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """On shutdown: the writes under way finish."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
