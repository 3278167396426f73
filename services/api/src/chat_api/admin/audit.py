"""The operators' audit log (admin_audit): every action recorded with who, what, on whom and when; listed the
newest first."""

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_api.admin.schemas import AuditEntry, AuditPage
from chat_api.storage.models import AdminAudit, User, utcnow
from chat_api.storage.paging import newest_first, page_of


@dataclass(frozen=True)
class Named:
    """A user as the log names them: their id, and their email or name at the time."""

    id: uuid.UUID | None
    name: str | None


def named(user: User | None, user_id: uuid.UUID | None) -> Named:
    return Named(user_id, (user.email or user.display_name) if user is not None else None)


COMMAND_LINE = Named(None, "command line")


def record(
    session: AsyncSession, actor: Named, action: str, target: Named | None = None, detail: str | None = None
) -> None:
    """Adds the entry to the session's transaction: it is kept exactly when the action is."""
    session.add(
        AdminAudit(
            at=utcnow(),
            actor_id=actor.id,
            actor_name=actor.name,
            action=action,
            target_id=target.id if target else None,
            target_name=target.name if target else None,
            detail=detail[:500] if detail else None,
        )
    )


async def page(session: AsyncSession, cursor: str | None, limit: int) -> AuditPage:
    query = newest_first(select(AdminAudit), AdminAudit.at, AdminAudit.id, cursor, limit)
    rows, next_cursor = page_of((await session.scalars(query)).all(), limit, lambda row: (row.at, row.id))
    items = [
        AuditEntry(
            id=row.id,
            at=row.at,
            actor_id=row.actor_id,
            actor=row.actor_name,
            action=row.action,
            target_id=row.target_id,
            target=row.target_name,
            detail=row.detail,
        )
        for row in rows
    ]
    return AuditPage(items=items, next_cursor=next_cursor)
