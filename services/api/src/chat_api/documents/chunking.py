"""Text to chunks of about `size` tokens (chat.tokens' estimate), each repeating the last `overlap` tokens of the
one before, so that a passage cut at a border is still whole in one of them. A chunk never crosses a page (its
citation names one) nor, in Markdown, a heading: it keeps the heading above it."""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from chat_api.chat.tokens import CHARS_PER_TOKEN, text_tokens
from chat_api.documents.extract import Section

HEADING_MAX_CHARS: Final = 500
_HEADING: Final = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")
_WORD: Final = re.compile(r"\S+\s*")


@dataclass(frozen=True)
class Piece:
    text: str
    page: int | None
    heading: str | None
    tokens: int

    @property
    def embedded_text(self) -> str:
        """What the vector is made of: the heading says what the passage is about."""
        return f"{self.heading}\n{self.text}" if self.heading else self.text


def markdown_sections(text: str) -> Iterator[tuple[str | None, str]]:
    """(heading path, the text under it) in order; a heading path is `Title > Part > Section`."""
    path: list[tuple[int, str]] = []
    lines: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match is None:
            lines.append(line)
            continue
        if any(part.strip() for part in lines):
            yield " > ".join(title for _, title in path) or None, "\n".join(lines)
        lines = []
        level = len(match.group(1))
        path = [(depth, title) for depth, title in path if depth < level] + [(level, match.group(2).strip())]
    if any(part.strip() for part in lines):
        yield " > ".join(title for _, title in path) or None, "\n".join(lines)


def windows(text: str, size: int, overlap: int) -> Iterator[str]:
    """Consecutive runs of whole words, about `size` tokens long, each starting `overlap` tokens before the end
    of the one before (a word longer than a chunk is cut)."""
    size_chars, overlap_chars = size * CHARS_PER_TOKEN, min(overlap, size // 2) * CHARS_PER_TOKEN
    words = [word[:size_chars] for word in _WORD.findall(text)]
    start = 0
    while start < len(words):
        end, length = start, 0
        while end < len(words) and (end == start or length + len(words[end]) <= size_chars):
            length += len(words[end])
            end += 1
        yield "".join(words[start:end]).strip()
        if end >= len(words):
            return
        back, kept = end, 0
        while back - 1 > start and kept + len(words[back - 1]) <= overlap_chars:
            back -= 1
            kept += len(words[back])
        start = back


def chunk(sections: Iterable[Section], *, markdown: bool, size: int, overlap: int) -> list[Piece]:
    pieces: list[Piece] = []
    for section in sections:
        parts = markdown_sections(section.text) if markdown else [(None, section.text)]
        for heading, body in parts:
            for text in windows(body, size, overlap):
                if text:
                    short = heading[:HEADING_MAX_CHARS] if heading else None
                    pieces.append(Piece(text, section.page, short, text_tokens(text)))
    return pieces
