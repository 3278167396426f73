"""Tools: an answer's parts (its text and the tools it called, in order), a conversation's switch for tools and
the tools its user allowed for it. Plain ADD COLUMNs (no batch copy of the tables: on SQLite that would drop
the search triggers of 0005).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("messages", sa.Column("parts", JSON_DOCUMENT, nullable=True))
    op.add_column("conversations", sa.Column("tools_enabled", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column("conversations", sa.Column("approved_tools", JSON_DOCUMENT, server_default="[]", nullable=False))


def downgrade() -> None:
    # Plain DROP COLUMNs too (SQLite has them since 3.35): a batch copy would drop 0005's triggers.
    op.drop_column("conversations", "approved_tools")
    op.drop_column("conversations", "tools_enabled")
    op.drop_column("messages", "parts")
