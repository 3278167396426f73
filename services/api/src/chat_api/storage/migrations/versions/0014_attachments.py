"""Images in a conversation: the files a user message carries (`messages.attachments`, a JSON list of
{id, name, media_type, and for an image the width and height the model gets}), and each image's rendition for
the model (`image_renditions`: scaled to the models' limits once, read at every turn that sends it). A plain
ADD COLUMN (no batch copy of the table: on SQLite that would drop the search triggers of 0005).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("messages", sa.Column("attachments", JSON_DOCUMENT, nullable=True))
    op.create_table(
        "image_renditions",
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["files.id"], name=op.f("fk_image_renditions_file_id_files"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("file_id", name=op.f("pk_image_renditions")),
    )


def downgrade() -> None:
    op.drop_table("image_renditions")
    # A plain DROP COLUMN too (SQLite has it since 3.35): a batch copy would drop 0005's triggers.
    op.drop_column("messages", "attachments")
