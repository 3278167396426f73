"""Embedding tokens count against the user's daily budget, as an answer's do (limits/): a file is refused at
upload when its text alone would pass what is left today (for text, known from its size; a PDF's text is known
once extracted), and charged when extracted, before any embedding is asked for."""

import uuid

from sqlalchemy import select

from chat_api.auth.tokens import Identity
from chat_api.chat.tokens import CHARS_PER_TOKEN
from chat_api.http.errors import ApiError
from chat_api.limits.service import Limits
from chat_api.storage.engine import Sessions
from chat_api.storage.models import User


def estimated_tokens(media_type: str, size_bytes: int) -> int:
    """What a file's embedding may cost, known before it is read: text's size says it; a PDF's does not (its
    bytes are mostly not text), nor an image's (not embedded)."""
    if media_type.startswith("text/"):
        return -(-size_bytes // CHARS_PER_TOKEN)
    return 0


async def check_room(limits: Limits, identity: Identity, tokens: int) -> None:
    """A 429 when `tokens` would pass what is left of today's budget; nothing is taken yet."""
    if tokens == 0:
        return
    standing = await limits.usage(identity)
    if standing is None:
        return
    left = max(0, standing.policy.tokens_per_day - standing.tokens_used)
    if tokens > left:
        raise ApiError(
            429,
            "quota_exceeded",
            f"Reading this file would take about {tokens:,} tokens of today's budget; {left:,} are left. "
            "It resets at midnight UTC.",
            {"Retry-After": str(standing.day_resets_in_s)},
        )


async def identity_of(sessions: Sessions, user_id: uuid.UUID) -> Identity | None:
    """Who to charge for a file the worker reads (no request, so no access token): the user as it is now."""
    async with sessions.autocommit() as session:
        user = (await session.execute(select(User).where(User.id == user_id))).scalar_one_or_none()
    if user is None:
        return None
    return Identity(user_id=user.id, guest=user.is_guest, session_id=uuid.UUID(int=0), epoch=0, tier=user.tier)
