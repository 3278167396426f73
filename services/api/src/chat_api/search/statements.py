"""The search statement, one per database: every hit (titles and messages) of one user's conversations,
ranked, ordered by (rank, time, id) descending; a page of them from a cursor on; snippets made for that page
only (highlighting is the costly part). Postgres ranks by ts_rank_cd with normalisation 1: a long message's
many mentions count less than a short one's few."""

from typing import Any, Final

from sqlalchemy import Float, String, Uuid, bindparam, text
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import TextualSelect
from sqlalchemy.types import TypeEngine

from chat_api.search.snippets import START, STOP
from chat_api.storage.models import UtcDateTime

_POSTGRES = """
WITH hits AS (
    SELECT c.id AS conversation_id, NULL::uuid AS message_id,
           ts_rank_cd(c.search_vector, websearch_to_tsquery('simple', :q), 1) AS rank, c.updated_at AS at, c.id AS key
    FROM conversations c
    WHERE c.user_id = :user_id AND c.search_vector @@ websearch_to_tsquery('simple', :q)
    UNION ALL
    SELECT m.conversation_id, m.id, ts_rank_cd(m.search_vector, websearch_to_tsquery('simple', :q), 1), m.created_at,
           m.id
    FROM messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE c.user_id = :user_id AND m.search_vector @@ websearch_to_tsquery('simple', :q)
),
page AS (SELECT * FROM hits {after} ORDER BY rank DESC, at DESC, key DESC LIMIT :limit)
SELECT page.conversation_id, c.title, page.message_id, m.role, page.rank, page.at, page.key,
       ts_headline('simple', coalesce(m.content, c.title), websearch_to_tsquery('simple', :q),
                   CASE WHEN length(coalesce(m.content, c.title)) <= 240 THEN :whole_options
                        ELSE :fragment_options END) AS snippet
FROM page JOIN conversations c ON c.id = page.conversation_id LEFT JOIN messages m ON m.id = page.message_id
ORDER BY page.rank DESC, page.at DESC, page.key DESC
"""

# The query is written out where it is used, not computed once in a CTE: the planner then sees the words and
# picks the GIN index for them (behind a CTE it guessed, and read all the user's messages). And it must plan
# for this user and these words each time (`CUSTOM_PLANS`): a generic plan, made once for any user, assumes
# a user has a few conversations and walks them one by one, 0.6 s for a user with 10,000.
CUSTOM_PLANS: Final = text("SET LOCAL plan_cache_mode = force_custom_plan")

# bm25 is lower for better matches: negated, higher is better, as in Postgres.
_SQLITE = """
WITH hits AS (
    SELECT c.id AS conversation_id, NULL AS message_id, -bm25(conversations_search) AS rank, c.updated_at AS at,
           c.id AS key, highlight(conversations_search, 0, :start, :stop) AS snippet
    FROM conversations_search JOIN conversations c ON c.rowid = conversations_search.rowid
    WHERE conversations_search MATCH :q AND c.user_id = :user_id
    UNION ALL
    SELECT m.conversation_id, m.id, -bm25(messages_search), m.created_at, m.id,
           snippet(messages_search, 0, :start, :stop, '…', 24)
    FROM messages_search JOIN messages m ON m.rowid = messages_search.rowid
         JOIN conversations c ON c.id = m.conversation_id
    WHERE messages_search MATCH :q AND c.user_id = :user_id
)
SELECT hits.conversation_id, c.title, hits.message_id, m.role, hits.rank, hits.at, hits.key, hits.snippet
FROM hits JOIN conversations c ON c.id = hits.conversation_id LEFT JOIN messages m ON m.id = hits.message_id
{after}
ORDER BY hits.rank DESC, hits.at DESC, hits.key DESC LIMIT :limit
"""

_AFTER: Final = "WHERE (rank, at, key) < (:after_rank, :after_at, :after_key)"
_SQLITE_AFTER: Final = "WHERE (hits.rank, hits.at, hits.key) < (:after_rank, :after_at, :after_key)"

_MARKS: Final = f"StartSel={START}, StopSel={STOP}"
# A title or a short message whole; of a longer one, the two best passages.
WHOLE_OPTIONS: Final = f"{_MARKS}, HighlightAll=true"
FRAGMENT_OPTIONS: Final = f'{_MARKS}, MaxFragments=2, MaxWords=24, MinWords=8, FragmentDelimiter=" … "'

_RESULT: Final[dict[str, TypeEngine[Any]]] = {
    "conversation_id": Uuid(),
    "title": String(),
    "message_id": Uuid(),
    "role": String(),
    "rank": Float(),
    "at": UtcDateTime(),
    "key": Uuid(),
    "snippet": String(),
}


def _typed(sql: str) -> TextualSelect:
    typed: list[BindParameter[Any]] = [bindparam("user_id", type_=Uuid())]
    if ":after_at" in sql:
        typed += [bindparam("after_at", type_=UtcDateTime()), bindparam("after_key", type_=Uuid())]
    statement = text(sql).bindparams(*typed)
    return statement.columns(**_RESULT)


def _build(dialect: str, after: bool) -> TextualSelect:
    if dialect == "postgresql":
        return _typed(_POSTGRES.format(after=_AFTER if after else ""))
    return _typed(_SQLITE.format(after=_SQLITE_AFTER if after else ""))


STATEMENTS: Final = {
    (dialect, after): _build(dialect, after) for dialect in ("postgresql", "sqlite") for after in (False, True)
}
