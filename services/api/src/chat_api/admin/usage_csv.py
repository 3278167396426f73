"""The usage report as CSV: the rows as the admin view groups them; a cell that would read as a formula is
made inert (feedback/export.py)."""

import csv
import io
from collections.abc import Iterable
from typing import Final

from chat_api.admin.schemas import Grouping, UsageRow
from chat_api.feedback.export import inert
from chat_api.usage.ledger import COUNTERS

KEYS: Final[dict[Grouping, tuple[str, ...]]] = {"day": ("day",), "user": ("user_id", "user"), "model": ("model",)}


def as_csv(group: Grouping, rows: Iterable[UsageRow]) -> str:
    columns = KEYS[group] + COUNTERS
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([inert(getattr(row, name)) for name in columns])
    return out.getvalue()
