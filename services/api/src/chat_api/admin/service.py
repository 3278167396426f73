"""The admin view's work: the usage ledger summed, the user list, disabling and enabling a user (through the
sign-in service, which ends their sessions on every replica), the audit log every action writes to, and
the votes on answers."""

import uuid
from dataclasses import asdict
from datetime import datetime

from chat_api.admin import audit, feedback_list
from chat_api.admin.schemas import AdminUserPage, AuditPage, FeedbackPage, Grouping, UsageReport, UsageRow
from chat_api.admin.usage_report import UsageFilter, usage_rows, usage_totals
from chat_api.admin.user_list import as_admin_user, matching
from chat_api.auth.service import AuthService
from chat_api.auth.tokens import Identity
from chat_api.feedback.vocabulary import Rating
from chat_api.http.errors import ApiError
from chat_api.limits.tiers import Tiers
from chat_api.storage.engine import Sessions
from chat_api.storage.models import User
from chat_api.storage.paging import newest_first, page_of

EXPORT_MAX_ROWS = 100_000


class AdminService:
    def __init__(self, sessions: Sessions, auth: AuthService, tiers: Tiers) -> None:
        self.sessions = sessions
        self.auth = auth
        self.tiers = tiers

    async def usage(self, group: Grouping, where: UsageFilter, limit: int) -> UsageReport:
        async with self.sessions() as session:
            rows, truncated = await usage_rows(session, group, where, limit)
            totals = await usage_totals(session, where)
        return UsageReport(
            group=group, from_day=where.from_day, to_day=where.to_day, rows=rows, totals=totals, truncated=truncated
        )

    async def usage_export(self, operator: Identity, group: Grouping, where: UsageFilter) -> list[UsageRow]:
        """Every row (up to EXPORT_MAX_ROWS), the export recorded in the audit log."""
        async with self.sessions.begin() as session:
            rows, _ = await usage_rows(session, group, where, EXPORT_MAX_ROWS)
            actor = audit.named(await session.get(User, operator.user_id), operator.user_id)
            filters = {key: str(value) for key, value in asdict(where).items() if value is not None}
            audit.record(session, actor, "usage.export", detail=f"group={group} {filters}")
        return rows

    async def record_export(self, operator: Identity, action: str, detail: str | None) -> None:
        async with self.sessions.begin() as session:
            actor = audit.named(await session.get(User, operator.user_id), operator.user_id)
            audit.record(session, actor, action, detail=detail)

    async def users(self, query: str | None, guests: bool, cursor: str | None, limit: int) -> AdminUserPage:
        statement = newest_first(matching(query, guests), User.created_at, User.id, cursor, limit)
        async with self.sessions() as session:
            found = (await session.scalars(statement)).all()
        rows, next_cursor = page_of(found, limit, lambda user: (user.created_at, user.id))
        return AdminUserPage(items=[as_admin_user(user, self.tiers) for user in rows], next_cursor=next_cursor)

    async def set_disabled(self, operator: Identity, user_id: uuid.UUID, disabled: bool) -> None:
        """Disabled: refused from their next request on, on every replica, and their refresh fails; enabled:
        they sign in again. An operator cannot disable themself (nobody would be left to enable them)."""
        if disabled and user_id == operator.user_id:
            raise ApiError(409, "conflict", "You cannot disable your own account.")
        await self.auth.set_disabled(user_id, disabled)  # 404 for no such user
        async with self.sessions.begin() as session:
            actor = audit.named(await session.get(User, operator.user_id), operator.user_id)
            target = audit.named(await session.get(User, user_id), user_id)
            audit.record(session, actor, "user.disable" if disabled else "user.enable", target)

    async def audit_log(self, cursor: str | None, limit: int) -> AuditPage:
        async with self.sessions() as session:
            return await audit.page(session, cursor, limit)

    async def feedback(
        self, since: datetime | None, rating: Rating | None, with_content: bool, cursor: str | None, limit: int
    ) -> FeedbackPage:
        async with self.sessions() as session:
            return await feedback_list.page(session, since, rating, with_content, cursor, limit)
