"""MCP servers: the servers a conversation's user switched off for it. A plain ADD COLUMN, as 0008 (no batch
copy of the table: on SQLite that would drop the search triggers of 0005).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("conversations", sa.Column("mcp_servers_off", JSON_DOCUMENT, server_default="[]", nullable=False))


def downgrade() -> None:
    op.drop_column("conversations", "mcp_servers_off")  # plain DROP COLUMN too (SQLite has it since 3.35)
