"""The user list of the admin view: accounts (and, when asked, guests) the newest first, found by a part of
their email or name, or by their id."""

import uuid
from typing import Any

from sqlalchemy import Select, false, func, or_, select

from chat_api.admin.schemas import AdminUser
from chat_api.limits.tiers import Tiers
from chat_api.storage.models import User


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matching(query: str | None, guests: bool) -> Select[Any]:
    statement = select(User)
    if not guests:
        statement = statement.where(or_(User.email.is_not(None), User.oidc_subject.is_not(None)))
    if query:
        try:
            by_id = User.id == uuid.UUID(query)
        except ValueError:
            by_id = false()
        pattern = _like(query)
        statement = statement.where(
            or_(
                by_id,
                User.email.like(pattern, escape="\\"),  # stored lower-case
                func.lower(User.display_name).like(pattern, escape="\\"),
            )
        )
    return statement


def as_admin_user(user: User, tiers: Tiers) -> AdminUser:
    tier = tiers.named(user.tier)
    return AdminUser(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        guest=user.is_guest,
        sso=user.oidc_subject is not None,
        tier=tier.name,
        admin=tier.admin and not user.is_guest,
        created_at=user.created_at,
        last_seen_at=user.last_seen_at,
        disabled=user.disabled_at is not None,
        disabled_at=user.disabled_at,
    )
