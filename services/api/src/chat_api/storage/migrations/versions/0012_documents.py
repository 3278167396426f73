"""Documents: the files attached to a conversation, their bytes, their chunks (each with a vector and a full-text
index) and the ingestion jobs still to do.

- Postgres: pgvector's `vector(N)` column with an HNSW cosine index (pgvector 0.5 and later), and a generated
  `tsvector` ('simple', as 0005) with a GIN index. N is EMBEDDING_DIMENSIONS from the environment (the api
  checks it against the column at start). A server without the pgvector extension gets no vector column:
  the api then refuses uploads (the product's image has it; see the README).
- SQLite: the vector as a blob of float32s (the search scores a conversation's chunks exactly), and an FTS5
  table over the text, kept in step by triggers as in 0005.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILE_STATUSES = ("uploaded", "extracting", "embedding", "ready", "failed")
HNSW_SINCE = (0, 5)  # the first pgvector with HNSW


def _dimensions() -> int:
    return int(os.environ.get("EMBEDDING_DIMENSIONS", "1536"))


def _pgvector_version(bind: sa.engine.Connection) -> tuple[int, ...] | None:
    version = bind.execute(sa.text("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'"))
    found = version.scalar()
    return tuple(int(part) for part in found.split(".")[:2]) if found else None


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("chunks_done", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("chunks_total", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"status IN {FILE_STATUSES}", name=op.f("ck_files_status")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_files_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_files_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
    )
    op.create_index("ix_files_conversation_created", "files", ["conversation_id", "created_at"])
    op.create_index("ix_files_user_sha256", "files", ["user_id", "sha256"])
    op.create_table(
        "file_blobs",
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["files.id"], name=op.f("fk_file_blobs_file_id_files"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("file_id", "ordinal", name=op.f("pk_file_blobs")),
    )
    op.create_table(
        "chunks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("heading", sa.String(500), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"], name=op.f("fk_chunks_file_id_files"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chunks")),
        sa.UniqueConstraint("file_id", "ordinal", name=op.f("uq_chunks_file_id_ordinal")),
    )
    op.create_table(
        "ingest_jobs",
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["files.id"], name=op.f("fk_ingest_jobs_file_id_files"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("file_id", name=op.f("pk_ingest_jobs")),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE chunks ADD COLUMN search_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', coalesce(heading, '') || ' ' || text)) STORED"
        )
        op.create_index("ix_chunks_search_vector", "chunks", ["search_vector"], postgresql_using="gin")
        version = _pgvector_version(bind)
        if version is None:
            return  # no pgvector on this server: no vectors (the api says so at start)
        op.execute("CREATE EXTENSION IF NOT EXISTS vector")
        op.execute(f"ALTER TABLE chunks ADD COLUMN embedding vector({_dimensions():d})")
        if version >= HNSW_SINCE:
            op.execute("CREATE INDEX ix_chunks_embedding ON chunks USING hnsw (embedding vector_cosine_ops)")
        return
    op.add_column("chunks", sa.Column("embedding", sa.LargeBinary(), nullable=True))
    op.execute(
        "CREATE VIRTUAL TABLE chunks_search USING fts5(text, content='chunks', content_rowid='rowid', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    add = "INSERT INTO chunks_search(rowid, text) VALUES (new.rowid, new.text);"
    remove = "INSERT INTO chunks_search(chunks_search, rowid, text) VALUES ('delete', old.rowid, old.text);"
    op.execute(f"CREATE TRIGGER chunks_search_insert AFTER INSERT ON chunks BEGIN {add} END")
    op.execute(f"CREATE TRIGGER chunks_search_delete AFTER DELETE ON chunks BEGIN {remove} END")
    op.execute(f"CREATE TRIGGER chunks_search_update AFTER UPDATE OF text ON chunks BEGIN {remove} {add} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER chunks_search_{event}")
        op.execute("DROP TABLE chunks_search")
    # (the extension stays: other databases of the server may use it, and dropping it needs no schema of ours)
    op.drop_table("ingest_jobs")
    op.drop_table("chunks")
    op.drop_table("file_blobs")
    op.drop_index("ix_files_user_sha256", table_name="files")
    op.drop_index("ix_files_conversation_created", table_name="files")
    op.drop_table("files")
