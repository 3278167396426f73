"""The notes: a small in-memory store per user (one shared store when the server runs without auth)."""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_NOTE_CHARS = 2000
MAX_NOTES_PER_OWNER = 100  # a demo's memory stays bounded whatever a model is made to do


class StoreFull(Exception):
    pass


@dataclass
class _Notes:
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    texts: dict[int, str] = field(default_factory=dict)


class NoteStore:
    def __init__(self) -> None:
        self._owners: dict[str | None, _Notes] = {}

    def add(self, owner: str | None, text: str) -> int:
        notes = self._owners.setdefault(owner, _Notes())
        if len(notes.texts) >= MAX_NOTES_PER_OWNER:
            raise StoreFull(f"the store holds at most {MAX_NOTES_PER_OWNER} notes")
        note_id = next(notes.ids)
        notes.texts[note_id] = text
        return note_id

    def notes(self, owner: str | None) -> list[tuple[int, str]]:
        notes = self._owners.get(owner)
        return list(notes.texts.items()) if notes else []

    def clear(self) -> None:
        self._owners.clear()
