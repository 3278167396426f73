"""How common each word is among the chunks, from Postgres' own statistics: ANALYZE keeps the commonest lexemes
of a tsvector column with the share of rows holding each (`pg_stats.most_common_elems`), which autovacuum
refreshes as the table changes. Read at most once per REFRESH_S per worker.

Why: the full-text half ranks every chunk that holds any of the question's words (a question rarely has all
its words in one passage). A word that half the chunks hold makes that half of a 100,000-chunk conversation
to rank (seconds, #31's benchmark) and says next to nothing about which passage is meant, as BM25's inverse
document frequency would weigh it. Such words are left out of the full-text half (the vector half still
reads the whole question)."""

import time
from collections.abc import Sequence
from typing import Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

REFRESH_S: Final = 300.0
COMMON_SHARE: Final = 0.05  # a word in more than 1 chunk in 20 is left out (unless all the words are)

STATISTICS: Final = text(
    "SELECT most_common_elems::text::text[] AS lexemes, most_common_elem_freqs AS shares FROM pg_stats "
    "WHERE schemaname = current_schema() AND tablename = 'chunks' AND attname = 'search_vector'"
)


class Commonness:
    def __init__(self) -> None:
        self._shares: dict[str, float] = {}
        self._read_at = -REFRESH_S

    async def shares(self, session: AsyncSession) -> dict[str, float]:
        """Lexeme -> share of chunks holding it, for the commonest lexemes (empty before the first ANALYZE)."""
        if time.monotonic() - self._read_at >= REFRESH_S:
            row = (await session.execute(STATISTICS)).first()
            # (the frequencies end with three more: their minimum, maximum and the share of nulls)
            self._shares = dict(zip(row.lexemes, row.shares, strict=False)) if row and row.lexemes else {}
            self._read_at = time.monotonic()
        return self._shares


def telling(terms: Sequence[str], shares: dict[str, float]) -> list[str]:
    """The terms that few chunks hold; if every term is common, the least common one."""
    kept = [term for term in terms if shares.get(term, 0.0) <= COMMON_SHARE]
    if kept or not terms:
        return kept
    return [min(terms, key=lambda term: shares.get(term, 0.0))]
