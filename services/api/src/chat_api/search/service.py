"""The search service: one user's hits, a page at a time. Only that user's conversations are read (deleting a
conversation deletes its messages and their place in the index with it)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Row

from chat_api.http.errors import ApiError
from chat_api.search import query as queries
from chat_api.search.schemas import SearchHit, SearchPage
from chat_api.search.snippets import START, STOP, parts
from chat_api.search.statements import CUSTOM_PLANS, FRAGMENT_OPTIONS, STATEMENTS, WHOLE_OPTIONS
from chat_api.storage.engine import Sessions

DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 50

# A page's cursor: the last hit's place, `<rank>_<microseconds since 1970>_<id, hex>`.
CURSOR_PATTERN: Final = r"^-?[0-9]{1,20}(\.[0-9]{1,20})?(e[+-]?[0-9]{1,3})?_[0-9]{1,20}_[0-9a-f]{32}$"  # all decode
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Ranks are Postgres `real`s: a cursor's rank beyond one is clamped (Postgres refuses it as out of range), which
# changes nothing for a cursor this search made.
REAL_MAX: Final = 3.4028234e38


def encode_cursor(hit: SearchHit) -> str:
    key = hit.message_id or hit.conversation_id
    return f"{hit.rank!r}_{(hit.at - _EPOCH) // timedelta(microseconds=1)}_{key.hex}"


def decode_cursor(cursor: str) -> tuple[float, datetime, uuid.UUID]:
    rank, microseconds, key = cursor.split("_")
    try:
        value = max(-REAL_MAX, min(REAL_MAX, float(rank)))
    except ValueError:
        raise ApiError(422, "invalid_request", "cursor: not a cursor this search returned") from None
    try:
        moment = _EPOCH + timedelta(microseconds=int(microseconds))
    except OverflowError:
        moment = datetime.max.replace(tzinfo=UTC)
    return value, moment, uuid.UUID(hex=key)


def _hit(row: Row[Any]) -> SearchHit:
    return SearchHit(
        conversation_id=row.conversation_id,
        title=row.title,
        message_id=row.message_id,
        role=row.role,
        snippet=parts(row.snippet or ""),
        rank=row.rank,
        at=row.at,
    )


class SearchService:
    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions

    async def search(
        self, user_id: uuid.UUID, query: str, limit: int = DEFAULT_LIMIT, cursor: str | None = None
    ) -> SearchPage:
        """`query` in web search syntax (words, "phrases", or, -word); at most `MAX_QUERY_CHARS` (else 400)."""
        text = queries.cleaned(query)
        async with self.sessions.begin() as session:
            dialect = session.get_bind().dialect.name
            q = text if dialect == "postgresql" else queries.fts5_query(text)
            if not q:
                return SearchPage(items=[], next_cursor=None)
            params: dict[str, object] = {"q": q, "user_id": user_id, "limit": limit + 1}
            if dialect == "postgresql":
                params.update(whole_options=WHOLE_OPTIONS, fragment_options=FRAGMENT_OPTIONS)
                await session.execute(CUSTOM_PLANS)
            else:
                params.update(start=START, stop=STOP)
            if cursor is not None:
                params["after_rank"], params["after_at"], params["after_key"] = decode_cursor(cursor)
            rows = (await session.execute(STATEMENTS[dialect, cursor is not None], params)).all()
        hits = [_hit(row) for row in rows[:limit]]
        more = len(rows) > limit
        return SearchPage(items=hits, next_cursor=encode_cursor(hits[-1]) if more else None)
