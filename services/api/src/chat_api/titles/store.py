"""A written title saved in place of the first words, unless the user renamed the conversation meanwhile."""

import uuid
from typing import cast

from sqlalchemy import Table, update

from chat_api.storage.engine import Sessions
from chat_api.storage.models import Conversation

CONVERSATIONS = cast(Table, Conversation.__table__)


async def save_unless_renamed(sessions: Sessions, conversation_id: uuid.UUID, first_words: str, title: str) -> bool:
    """Saves `title` if the conversation still has the title its first message gave it (`first_words`): one
    statement, so a rename that lands first wins. False: renamed (or deleted) meanwhile."""
    async with sessions.begin() as session:
        changed = await session.execute(
            update(CONVERSATIONS)
            .where(CONVERSATIONS.c.id == conversation_id, CONVERSATIONS.c.title == first_words)
            .values(title=title)
        )
    return bool(changed.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result has it
