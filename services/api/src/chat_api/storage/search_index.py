"""The full-text index that search reads, kept by the database itself (migration 0005): in Postgres a
generated `tsvector` column on `messages` and `conversations`, each with a GIN index; in SQLite FTS5 tables
over the same text, kept in step by triggers. SQLAlchemy's models cannot describe either (they hold no FTS5
tables, and a `tsvector` column has no SQLite type), so schema comparisons leave this index out."""

from typing import Final

SEARCH_COLUMN: Final = "search_vector"  # Postgres: the generated column, on both tables
SEARCH_TABLES: Final = ("messages_search", "conversations_search")  # SQLite: the FTS5 tables
SEARCH_INDEXES: Final = ("ix_messages_search_vector", "ix_conversations_search_vector")  # Postgres: GIN


def outside_the_models(name: str | None, type_: str) -> bool:
    """Whether a schema object (as Alembic names it) is the search index's: a table an FTS5 table made
    (itself and its shadow tables, `<name>_data`, `<name>_idx`, ...), the generated column or a GIN index."""
    if name is None:
        return False
    if type_ == "table":
        return any(name == table or name.startswith(f"{table}_") for table in SEARCH_TABLES)
    if type_ == "column":
        return name == SEARCH_COLUMN
    if type_ == "index":
        return name in SEARCH_INDEXES
    return False


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic's `include_name` hook: everything but the search index."""
    return not outside_the_models(name, type_)
