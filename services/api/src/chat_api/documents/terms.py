"""A question's words for the full-text half of the search: any of them may match (a question rarely has all
its words in one passage), the commonest English and German words left out, so that the rank follows the
words that say something."""

import re
from typing import Final

MAX_TERMS: Final = 32
_WORD: Final = re.compile(r"\w+")
_STOP_WORDS_TEXT: Final = """
    a an and are as at be but by can do does did for from had has have he her his how i if in into is it its
    me my of on or our she so than that the their them then there these they this to was we were what when where
    which who whom why will with would you your about any all also
    der die das den dem des ein eine einer eines und oder ist sind war wie was wer wo wann warum mit von zu im in
    auf für nicht ich du er sie es wir ihr"""
STOP_WORDS: Final = frozenset(_STOP_WORDS_TEXT.split())


def search_terms(query: str) -> list[str]:
    seen: dict[str, None] = {}
    for word in _WORD.findall(query.lower()):
        if word not in STOP_WORDS and len(word) > 1:
            seen.setdefault(word, None)
    return list(seen)[:MAX_TERMS]


def websearch_query(terms: list[str]) -> str:
    """For Postgres' `websearch_to_tsquery`: `or` between words is its OR."""
    return " or ".join(terms)


def fts5_query(terms: list[str]) -> str:
    """For SQLite's FTS5 MATCH: each word a quoted string (no operator of FTS5's can get in), joined by OR."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
