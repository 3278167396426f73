"""The event log within one process: for development without Redis, the unit tests, and the owner's own
readers (the Redis log serves them from here).

With several worker processes (or replicas), a reader that lands on another process cannot reach an answer
here: the Redis log (`redis_log`) is the one that holds across processes.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from chat_api.chat.events import AnswerEvent, TextDelta
from chat_api.chat.wire import EncodedEvent
from chat_api.generations.log import order


@dataclass
class _Entry:
    events: list[EncodedEvent] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    expiry: asyncio.TimerHandle | None = None


class LocalEventLog:
    shared = False

    def __init__(self, keep_after_end_s: float) -> None:
        self._entries: dict[str, _Entry] = {}
        self._keep_after_end_s = keep_after_end_s

    async def append(self, generation_id: str, events: list[AnswerEvent]) -> list[str]:
        entry = self._entries.setdefault(generation_id, _Entry())
        first = len(entry.events) + 1
        logged = [EncodedEvent.of(event, f"0-{first + offset}") for offset, event in enumerate(events)]
        entry.events.extend(logged)
        entry.changed.set()
        entry.changed = asyncio.Event()
        if any(event.terminal for event in logged):
            loop = asyncio.get_running_loop()
            entry.expiry = loop.call_later(self._keep_after_end_s, self._entries.pop, generation_id, None)
        return [event.id for event in logged]

    async def known(self, generation_id: str) -> bool:
        return generation_id in self._entries

    async def read(self, generation_id: str, after: str | None) -> AsyncIterator[list[EncodedEvent]]:
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

    def events_of(self, generation_id: str) -> list[EncodedEvent] | None:
        """Every event so far, in order (None when this log no longer has the answer)."""
        entry = self._entries.get(generation_id)
        return None if entry is None else entry.events

    async def text_of(self, generation_id: str) -> str | None:
        entry = self._entries.get(generation_id)
        if entry is None:
            return None
        return text_of(entry.events)

    async def interrupted(self, generation_id: str, event: AnswerEvent) -> None:
        entry = self._entries.get(generation_id)
        if entry is not None and not (entry.events and entry.events[-1].terminal):
            await self.append(generation_id, [event])

    async def aclose(self) -> None:
        for entry in self._entries.values():
            if entry.expiry is not None:
                entry.expiry.cancel()
        self._entries.clear()


def text_of(events: list[EncodedEvent]) -> str:
    """All the text the events carried."""
    return "".join(encoded.event.text for encoded in events if isinstance(encoded.event, TextDelta))
