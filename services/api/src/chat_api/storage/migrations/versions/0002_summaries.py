"""Summaries of older turns (memory for long conversations).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "summaries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("covers_message_id", sa.Uuid(), nullable=False),
        sa.Column("covered_messages", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_summaries_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["covers_message_id"],
            ["messages.id"],
            name=op.f("fk_summaries_covers_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_summaries")),
        sa.UniqueConstraint("covers_message_id", name=op.f("uq_summaries_covers_message_id")),
    )
    op.create_index(op.f("ix_summaries_conversation_id"), "summaries", ["conversation_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_summaries_conversation_id"), table_name="summaries")
    op.drop_table("summaries")
