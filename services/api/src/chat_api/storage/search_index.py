"""The full-text index that search reads, kept by the database itself (migrations 0005 and 0012): in Postgres a
generated `tsvector` column on `messages`, `conversations` and `chunks`, each with a GIN index; in SQLite FTS5
tables over the same text, kept in step by triggers. And the chunks' vectors (0012): pgvector's `vector(N)`
with an HNSW index, or a blob in SQLite. SQLAlchemy's models cannot describe these (they hold no FTS5 tables,
and neither a `tsvector` nor a `vector` column has a SQLite type), so schema comparisons leave them out."""

from typing import Final

# Registers pgvector's `vector` type with SQLAlchemy's Postgres dialect, so that reflecting the chunks (Alembic's
# schema comparisons) knows the column's type instead of warning.
import pgvector.sqlalchemy  # noqa: F401

SEARCH_COLUMN: Final = "search_vector"  # Postgres: the generated column, on each table
SEARCH_TABLES: Final = ("messages_search", "conversations_search", "chunks_search")  # SQLite: the FTS5 tables
SEARCH_INDEXES: Final = (  # Postgres: GIN, and pgvector's HNSW over the chunks' vectors
    "ix_messages_search_vector",
    "ix_conversations_search_vector",
    "ix_chunks_search_vector",
    "ix_chunks_embedding",
)
EMBEDDING_COLUMN: Final = "embedding"  # the chunks' vectors: pgvector's `vector(N)`, or a blob in SQLite


def outside_the_models(name: str | None, type_: str) -> bool:
    """Whether a schema object (as Alembic names it) is the search index's: a table an FTS5 table made
    (itself and its shadow tables, `<name>_data`, `<name>_idx`, ...), the generated column or a GIN index."""
    if name is None:
        return False
    if type_ == "table":
        return any(name == table or name.startswith(f"{table}_") for table in SEARCH_TABLES)
    if type_ == "column":
        return name in (SEARCH_COLUMN, EMBEDDING_COLUMN)
    if type_ == "index":
        return name in SEARCH_INDEXES
    return False


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic's `include_name` hook: everything but the search index."""
    return not outside_the_models(name, type_)
