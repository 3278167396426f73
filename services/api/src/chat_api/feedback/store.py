"""The votes a conversation's views show: the user's own, by answer."""

import uuid

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_api.conversations.schemas import FeedbackView
from chat_api.storage.models import Feedback, Message

VOTES_IN = (
    select(Feedback.message_id, Feedback.rating, Feedback.reason, Feedback.comment, Feedback.updated_at)
    .join(Message, Message.id == Feedback.message_id)
    .where(Message.conversation_id == bindparam("conversation_id"), Feedback.user_id == bindparam("user_id"))
)


async def votes_in(
    session: AsyncSession, conversation_id: uuid.UUID, user_id: uuid.UUID
) -> dict[uuid.UUID, FeedbackView]:
    rows = await session.execute(VOTES_IN, {"conversation_id": conversation_id, "user_id": user_id})
    return {
        row.message_id: FeedbackView(
            rating=row.rating, reason=row.reason, comment=row.comment, updated_at=row.updated_at
        )
        for row in rows
    }
