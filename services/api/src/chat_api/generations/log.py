"""An answer's event log: where the owner of a live answer writes its events, and where any reader replays them
from an id and then follows them. `LocalEventLog` within one process, `RedisEventLog` across processes and
replicas. Each event is kept with its id and its payload encoded once (`chat.wire.EncodedEvent`)."""

from collections.abc import AsyncIterator
from typing import Protocol

from chat_api.chat.events import AnswerEvent
from chat_api.chat.wire import EncodedEvent


class EventLog(Protocol):
    shared: bool  # readers reach an answer's events from any process

    async def append(self, generation_id: str, events: list[AnswerEvent]) -> list[str]:
        """Adds the owner's events; their ids."""
        ...

    async def known(self, generation_id: str) -> bool: ...

    def read(self, generation_id: str, after: str | None) -> AsyncIterator[list[EncodedEvent]]:
        """What came after `after` (everything if None), then what comes, in batches, to the terminal event."""
        ...

    async def text_of(self, generation_id: str) -> str | None:
        """All the text its events carried, or None when this log no longer has it."""
        ...

    async def interrupted(self, generation_id: str, event: AnswerEvent) -> None:
        """Tells this answer's readers, wherever they are, it ended without its owner: after its last event."""
        ...

    async def aclose(self) -> None: ...


def order(event_id: str | None) -> tuple[int, int]:
    """Where an id stands: the owner numbers its events `0-1`, `0-2`, ...; an event added by another process
    (the sweeper's `interrupted`) takes a Redis id, `<ms>-<n>`, which comes after them. Garbage reads as the
    start."""
    head, _, tail = (event_id or "").partition("-")
    if not (head.isdigit() and tail.isdigit()):
        return (0, 0)
    return (int(head), int(tail))


class EventLogUnavailable(Exception):
    """The log cannot serve this reader now (Redis out of reach): read the answer from the database."""
