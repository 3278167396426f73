"""The key that signs access tokens: configured, or made once and kept in the database for every replica."""

import logging
import secrets

from sqlalchemy import select

from chat_api.settings import Settings
from chat_api.storage.dialects import insert_for
from chat_api.storage.engine import Sessions
from chat_api.storage.models import AppSecret

logger = logging.getLogger("chat_api.auth")
SECRET_NAME = "access_token_signing_key"  # noqa: S105 - where the key is kept, not the key


async def signing_secret(settings: Settings, sessions: Sessions) -> str:
    if settings.AUTH_SECRET is not None:
        return settings.AUTH_SECRET.get_secret_value()
    async with sessions.begin() as session:
        # Every replica races to insert its own; the first one wins and all read that one.
        candidate = secrets.token_urlsafe(48)
        await session.execute(
            insert_for(session, AppSecret).values(name=SECRET_NAME, value=candidate).on_conflict_do_nothing()
        )
        stored = await session.scalar(select(AppSecret.value).where(AppSecret.name == SECRET_NAME))
    assert stored is not None
    logger.warning("AUTH_SECRET is not set: access tokens are signed with a key made once and kept in the database")
    return stored
