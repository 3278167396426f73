"""A file's media type, read from its first bytes, never from its name or the upload's header: the binary types
by their signatures; text (a BOM, or no NUL bytes and next to no control characters) as HTML when it starts as
HTML, else as Markdown or CSV when its name says so (text carries no signature of its kind), else as plain."""

import codecs
import re
from typing import Final

SNIFF_BYTES: Final = 8192

PDF: Final = "application/pdf"
PNG: Final = "image/png"
JPEG: Final = "image/jpeg"
WEBP: Final = "image/webp"
TEXT: Final = "text/plain"
MARKDOWN: Final = "text/markdown"
CSV: Final = "text/csv"
HTML: Final = "text/html"
IMAGES: Final = frozenset({PNG, JPEG, WEBP})
ACCEPTED: Final = ("PDF", "text", "Markdown", "HTML", "CSV", "PNG", "JPEG", "WebP")

_BOMS: Final = (codecs.BOM_UTF8, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_HTML_START: Final = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE | re.DOTALL
)
_TEXT_SUFFIXES: Final = {".md": MARKDOWN, ".markdown": MARKDOWN, ".csv": CSV}


def _binary(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def _is_text(head: bytes) -> bool:
    """UTF-8 (or another 8-bit encoding) with next to no control characters but whitespace, or a BOM."""
    if head.startswith(_BOMS):
        return True
    if b"\x00" in head:
        return False
    controls = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r\f\x1b")
    return controls <= len(head) // 100


def media_type(head: bytes, name: str) -> str | None:
    """The type of a file that starts with `head` (its first SNIFF_BYTES); None: not one we accept."""
    found = _binary(head)
    if found is not None:
        return found
    if not head or not _is_text(head):
        return None
    if _HTML_START.match(head.removeprefix(codecs.BOM_UTF8)):
        return HTML
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    return _TEXT_SUFFIXES.get(suffix, TEXT)
