"""An answer's sources and the citations its text makes of them.

The passages the model is given (by `search_documents`, or the attached files in whole) are numbered once per
answer: the same passage keeps its number across searches, a new one takes the next. As the text streams, a
marker that cites known numbers (`[2]`, `[1, 3]`, `[1][2]`) yields each number's `Citation` the first time,
before the delta that completes the marker (a marker may arrive split over deltas); a bracketed number that is
no source stays text.
"""

import re
from collections.abc import Hashable
from typing import Final

from chat_api.chat.events import Citation

MARKER: Final = re.compile(r"\[(\d{1,4}(?:\s*,\s*\d{1,4})*)\]")
OPEN_MARKER_MAX: Final = 40  # a '[' with more after it than a marker could hold starts no marker


class Sources:
    def __init__(self) -> None:
        self._numbers: dict[Hashable, int] = {}
        self._sources: dict[int, Citation] = {}
        self._cited: set[int] = set()
        self._open = ""  # the text since a '[' that may yet end a marker

    def number(
        self, key: Hashable, *, file_id: str, file: str, page: int | None, section: str | None, text: str
    ) -> int:
        """The passage's number in this answer (`key` names it: the same passage, the same number)."""
        known = self._numbers.get(key)
        if known is not None:
            return known
        number = len(self._numbers) + 1
        self._numbers[key] = number
        self._sources[number] = Citation(number, file_id, file, page, section, text)
        return number

    def cited_by(self, delta: str) -> list[Citation]:
        """The sources the text cites for the first time with this delta, in the order it cites them."""
        if not self._sources:
            return []
        text = self._open + delta
        start = len(self._open)
        found: list[Citation] = []
        for marker in MARKER.finditer(text):
            if marker.end() <= start:
                continue
            for number in (int(n) for n in marker.group(1).split(",")):
                source = self._sources.get(number)
                if source is not None and number not in self._cited:
                    self._cited.add(number)
                    found.append(source)
        opening = text.rfind("[")
        tail = text[opening:] if opening >= 0 else ""
        self._open = tail if "]" not in tail and len(tail) <= OPEN_MARKER_MAX else ""
        return found
