"""Several models: the model a conversation's user picked (an id of MODELS; null: the default). A plain ADD
COLUMN (no batch copy of the table: on SQLite that would drop the search triggers of 0005).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("conversations", sa.Column("model", sa.String(length=100), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN too (SQLite has it since 3.35): a batch copy would drop 0005's triggers.
    op.drop_column("conversations", "model")
