"""A generation's events as its log keeps them: an id, a name, a JSON payload. The terminal ones end it."""

from dataclasses import dataclass
from typing import Any, Final

TERMINAL: Final = frozenset({"done", "error"})


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    id: str
    name: str  # start, delta, usage, done, error
    data: dict[str, Any]

    @property
    def terminal(self) -> bool:
        return self.name in TERMINAL


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
