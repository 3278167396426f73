"""A search query as the user typed it: bounded, cleaned, and (for SQLite) written in FTS5's syntax with the
meaning Postgres's `websearch_to_tsquery` gives it: words all required, "quoted phrases", `or` between two
alternatives, `-word` excluded. Nothing the user types is FTS5 syntax: every word is quoted."""

import re
from typing import Final

from chat_api.http.errors import ApiError

MAX_QUERY_CHARS: Final = 500
_UNSTORABLE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")  # control characters, lone surrogates
_TERM = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
_WORD = re.compile(r"\w")


def too_long() -> ApiError:
    return ApiError(400, "invalid_request", f"q: at most {MAX_QUERY_CHARS} characters")


def cleaned(query: str) -> str:
    """The query with control characters (NUL too: Postgres refuses it) turned to spaces; too long a query
    refused."""
    if len(query) > MAX_QUERY_CHARS:
        raise too_long()
    return " ".join(_UNSTORABLE.sub(" ", query).split())


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts5_query(query: str) -> str | None:
    """The cleaned query in FTS5's syntax, or None when it has no word to look for."""
    wanted: list[str] = []  # alternatives are joined into the term before them
    excluded: list[str] = []
    join_next = False
    for match in _TERM.finditer(query):
        negated = bool(match.group(1) or match.group(3))
        text = match.group(2) if match.group(2) is not None else match.group(4)
        if match.group(4) is not None and text.lower() == "or" and not negated:
            join_next = bool(wanted)
            continue
        if not _WORD.search(text):
            continue
        term = _quoted(text)
        if negated:
            excluded.append(term)
        elif join_next:
            wanted[-1] = f"{wanted[-1]} OR {term}"
            join_next = False
        else:
            wanted.append(term)
    if not wanted:
        return None  # FTS5 cannot look for "everything but"
    expression = " AND ".join(f"({term})" for term in wanted)
    for term in excluded:
        expression = f"({expression}) NOT {term}"
    return expression
