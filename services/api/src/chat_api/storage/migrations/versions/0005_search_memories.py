"""Search over a user's conversations (a full-text index of titles and message text), and the facts a user
asked the assistant to remember.

The index lives in the database and keeps itself current:
- Postgres: a generated `tsvector` column (`to_tsvector('simple', ...)`) on `messages.content` and
  `conversations.title`, each with a GIN index. 'simple' lower-cases words and neither stems them nor drops
  stop words: conversations are in any language (the UI speaks English and German), where an English stemmer
  would mangle other languages' words, and it finds what SQLite's tokenizer finds.
- SQLite: an FTS5 table over each (external content: it reads the text from the table itself), kept in step
  by triggers, filled from the rows already there. A later migration that rebuilds `messages` or
  `conversations` in batch mode (copy and move) drops these triggers with the old table and renumbers the
  rows: it must create the triggers again and run FTS5's 'rebuild'.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, its text column, the FTS5 table over it) on both databases
INDEXED = (("messages", "content", "messages_search"), ("conversations", "title", "conversations_search"))


def upgrade() -> None:
    op.create_table(
        "user_memories",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.String(500), nullable=False),
        sa.Column("content_key", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_memories_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_memories")),
        sa.UniqueConstraint("user_id", "content_key", name=op.f("uq_user_memories_user_id_content_key")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table, column, _ in INDEXED:
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
                f"GENERATED ALWAYS AS (to_tsvector('simple', {column})) STORED"
            )
            op.create_index(f"ix_{table}_search_vector", table, ["search_vector"], postgresql_using="gin")
        return
    # (every name below is one of INDEXED's constants, never input)
    for table, column, fts in INDEXED:
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{table}', content_rowid='rowid', "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608
        add = f"INSERT INTO {fts}(rowid, {column}) VALUES (new.rowid, new.{column});"  # noqa: S608
        remove = f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.rowid, old.{column});"  # noqa: S608
        op.execute(f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {add} END")
        op.execute(f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {remove} END")
        op.execute(f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {column} ON {table} BEGIN {remove} {add} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, _, _ in INDEXED:
            op.drop_index(f"ix_{table}_search_vector", table_name=table)
            op.execute(f"ALTER TABLE {table} DROP COLUMN search_vector")
    else:
        for _, _, fts in INDEXED:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER {fts}_{event}")
            op.execute(f"DROP TABLE {fts}")
    op.drop_table("user_memories")
