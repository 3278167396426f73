"""Sign-in: a canonical key per mailbox for accounts (look-alikes refused), and the throttle's growing delay.

Existing accounts get the key of their address; where two already share one, the older keeps it and the
younger none (it still signs in with its exact address, and no new look-alike can sign up past the older).
An address the validator refuses today gets no key either.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chat_api.auth.emails import normalise
from chat_api.http.errors import ApiError

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("login_throttle", sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("email_key", sa.String(254), nullable=True))
    users = sa.table("users", sa.column("id", sa.Uuid()), sa.column("email"), sa.column("email_key"))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(users.c.id, users.c.email).where(users.c.email.is_not(None)).order_by(sa.text("created_at"))
    )
    taken: set[str] = set()
    for user_id, email in rows.all():
        try:
            key = normalise(email).key
        except ApiError:
            continue
        if key not in taken:
            taken.add(key)
            connection.execute(sa.update(users).where(users.c.id == user_id).values(email_key=key))
    with op.batch_alter_table("users") as batch:
        batch.create_unique_constraint(op.f("uq_users_email_key"), ["email_key"])


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("uq_users_email_key"), type_="unique")
        batch.drop_column("email_key")
    with op.batch_alter_table("login_throttle") as batch:
        batch.drop_column("blocked_until")
