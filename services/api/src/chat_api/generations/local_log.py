"""The event log and stop signal within one process: for development without Redis, and the unit tests.

With several worker processes (or replicas), a reader or a Stop that lands on another process cannot reach
a generation here: the Redis log (`redis_log`) is the one that holds across processes.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from chat_api.generations.events import LoggedEvent, order


@dataclass
class _Entry:
    events: list[LoggedEvent] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    expiry: asyncio.TimerHandle | None = None


class LocalEventLog:
    shared = False

    def __init__(self, keep_after_end_s: float) -> None:
        self._entries: dict[str, _Entry] = {}
        self._keep_after_end_s = keep_after_end_s
        self._stops: dict[str, Callable[[], None]] = {}

    async def append(self, generation_id: str, events: list[tuple[str, dict[str, Any]]]) -> list[str]:
        entry = self._entries.setdefault(generation_id, _Entry())
        first = len(entry.events) + 1
        logged = [LoggedEvent(f"0-{first + offset}", name, data) for offset, (name, data) in enumerate(events)]
        entry.events.extend(logged)
        entry.changed.set()
        entry.changed = asyncio.Event()
        if any(event.terminal for event in logged):
            loop = asyncio.get_running_loop()
            entry.expiry = loop.call_later(self._keep_after_end_s, self._entries.pop, generation_id, None)
        return [event.id for event in logged]

    async def known(self, generation_id: str) -> bool:
        return generation_id in self._entries

    async def read(self, generation_id: str, after: str | None) -> AsyncIterator[list[LoggedEvent]]:
        """What came after `after` (everything if None), then what comes, in batches, to the terminal event."""
        head, position = order(after)
        if head:  # an id from another process (after our own events): nothing here comes after it
            return
        while True:
            entry = self._entries.get(generation_id)
            if entry is None:
                return
            batch = entry.events[position:]
            if batch:
                position += len(batch)
                yield batch
                if batch[-1].terminal:
                    return
                continue
            await entry.changed.wait()

    # --- stop -----------------------------------------------------------------------------------------------

    def on_stop(self, generation_id: str, stop: Callable[[], None]) -> None:
        self._stops[generation_id] = stop

    def forget_stop(self, generation_id: str) -> None:
        self._stops.pop(generation_id, None)

    async def request_stop(self, generation_id: str) -> bool:
        stop = self._stops.get(generation_id)
        if stop is None:
            return False
        stop()
        return True

    def events_of(self, generation_id: str) -> list[LoggedEvent] | None:
        """Every event so far, in order (None when this log no longer has the answer)."""
        entry = self._entries.get(generation_id)
        return None if entry is None else entry.events

    async def text_of(self, generation_id: str) -> str | None:
        """All the text its events carried, or None when this log no longer has it."""
        entry = self._entries.get(generation_id)
        if entry is None:
            return None
        return "".join(str(event.data.get("text", "")) for event in entry.events if event.name == "delta")

    async def interrupted(self, generation_id: str, event: tuple[str, dict[str, Any]]) -> None:
        """Tells this answer's readers it ended without its owner (the sweeper found its lease lapsed)."""
        entry = self._entries.get(generation_id)
        if entry is not None and not (entry.events and entry.events[-1].terminal):
            await self.append(generation_id, [event])

    async def aclose(self) -> None:
        for entry in self._entries.values():
            if entry.expiry is not None:
                entry.expiry.cancel()
        self._entries.clear()
        self._stops.clear()
