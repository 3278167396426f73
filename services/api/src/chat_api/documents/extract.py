"""A file's text, as sections that keep where they came from (a PDF's page). Bounded: pages, time and the text
a file may yield (a small compressed file can expand to far more). A file that cannot be read raises
`Unreadable` with a reason fit for its owner."""

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Final

from chat_api.documents import sniff
from chat_api.documents.decode import decode_text

SKIPPED_HTML: Final = frozenset({"script", "style", "template", "noscript", "svg", "head"})
BLOCK_HTML: Final = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article"})


class Unreadable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Section:
    text: str
    page: int | None = None  # 1-based


@dataclass(frozen=True)
class Bounds:
    max_pages: int
    max_chars: int
    timeout_s: float


@dataclass(frozen=True)
class Extracted:
    sections: list[Section]
    pages: int | None = None


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_HTML:
            self._skipping += 1
        elif tag in BLOCK_HTML:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_HTML and self._skipping:
            self._skipping -= 1
        elif tag in BLOCK_HTML:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_text(markup: str) -> str:
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


def _bounded(text: str, bounds: Bounds) -> str:
    if len(text) > bounds.max_chars:
        raise Unreadable(f"The file holds more text than the {bounds.max_chars:,} characters a file may have.")
    return text


def _pdf_pages(data: bytes, bounds: Bounds) -> Iterator[Section]:
    # Imported here, not at start: pypdf (and Pillow, which it loads when installed) takes about 37 MB of a
    # worker's memory, for the workers that read a PDF only.
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    started = time.monotonic()
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise Unreadable("The PDF is encrypted with a password.")
        count = len(reader.pages)
    except Unreadable:
        raise
    except (PyPdfError, PdfReadError, ValueError, KeyError, TypeError, RecursionError, OSError):
        raise Unreadable("The PDF is damaged and cannot be read.") from None
    except NotImplementedError:
        raise Unreadable("The PDF uses an encryption this service cannot read.") from None
    if count > bounds.max_pages:
        raise Unreadable(f"The PDF has {count:,} pages; at most {bounds.max_pages:,} are read.")
    total = 0
    for number in range(count):
        if time.monotonic() - started > bounds.timeout_s:
            raise Unreadable(f"Reading the PDF took longer than {bounds.timeout_s:g} s.")
        try:
            text = reader.pages[number].extract_text() or ""
        except (PyPdfError, ValueError, KeyError, TypeError, RecursionError, OSError, NotImplementedError):
            raise Unreadable(f"Page {number + 1} of the PDF is damaged and cannot be read.") from None
        total += len(text)
        if total > bounds.max_chars:
            raise Unreadable(f"The PDF holds more text than the {bounds.max_chars:,} characters a file may have.")
        yield Section(text, page=number + 1)


def extract(data: bytes, media_type: str, bounds: Bounds) -> Extracted:
    """Blocking work (pypdf is pure Python): run it in a thread."""
    if media_type == sniff.PDF:
        sections = list(_pdf_pages(data, bounds))
        return Extracted(sections, pages=len(sections))
    if media_type in sniff.IMAGES:
        return Extracted([])  # images are for vision-capable models, not for search
    if len(data) > bounds.max_chars * 4:  # (a character is at most four bytes in any encoding we read)
        raise Unreadable(f"The file holds more text than the {bounds.max_chars:,} characters a file may have.")
    text = decode_text(data)
    if media_type == sniff.HTML:
        text = html_text(text)
    return Extracted([Section(_bounded(text, bounds))])
