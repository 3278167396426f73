"""The operators' CSV of votes. A cell a spreadsheet would read as a formula (it starts with = + - @, a tab or a
line break, or their full-width forms) is written with a leading apostrophe, so opening the file runs nothing
(OWASP's "CSV injection")."""

import csv
import io
from collections.abc import Iterable
from typing import Final

from chat_api.feedback.service import FeedbackRow

# The full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20) too: some spreadsheets read them as the ASCII ones.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
COLUMNS: Final = ("updated_at", "rating", "reason", "comment", "model", "user_id", "conversation_id", "message_id")
CONTENT_COLUMNS: Final = ("question", "answer")


def inert(value: object) -> str:
    """A cell's text, never a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def as_csv(rows: Iterable[FeedbackRow], with_content: bool) -> str:
    columns = COLUMNS + CONTENT_COLUMNS if with_content else COLUMNS
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        values = [row.updated_at.isoformat() if name == "updated_at" else getattr(row, name) for name in columns]
        writer.writerow([inert(value) for value in values])
    return out.getvalue()
