"""Single sign-on: accounts an OpenID provider vouches for, keyed by (issuer, subject), with the tier their roles
map to; and the sign-ins under way at the provider.

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-12
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as users:
        users.add_column(sa.Column("oidc_issuer", sa.String(255), nullable=True))
        users.add_column(sa.Column("oidc_subject", sa.String(255), nullable=True))
        users.add_column(sa.Column("display_name", sa.String(254), nullable=True))
        users.add_column(sa.Column("tier", sa.String(64), nullable=True))
        users.create_unique_constraint(op.f("uq_users_oidc_issuer_oidc_subject"), ["oidc_issuer", "oidc_subject"])
    op.create_table(
        "oidc_sign_ins",
        sa.Column("state_hash", sa.String(64), nullable=False),
        sa.Column("browser_hash", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("redirect_uri", sa.String(2048), nullable=False),
        sa.Column("return_to", sa.String(2048), nullable=False),
        sa.Column("guest_id", sa.Uuid(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_oidc_sign_ins")),
    )
    op.create_index(op.f("ix_oidc_sign_ins_expires_at"), "oidc_sign_ins", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_oidc_sign_ins_expires_at"), table_name="oidc_sign_ins")
    op.drop_table("oidc_sign_ins")
    with op.batch_alter_table("users") as users:
        users.drop_constraint(op.f("uq_users_oidc_issuer_oidc_subject"), type_="unique")
        users.drop_column("tier")
        users.drop_column("display_name")
        users.drop_column("oidc_subject")
        users.drop_column("oidc_issuer")
