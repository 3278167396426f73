"""Votes on answers, always scoped to the answer's owner: another user's answer is not found, exactly as a
missing one is. Each vote is counted in a metric, by model and outcome."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from chat_api.auth.tokens import Identity
from chat_api.conversations.schemas import FeedbackView
from chat_api.feedback import listing
from chat_api.feedback.schemas import Vote
from chat_api.http.errors import ApiError
from chat_api.settings import Settings
from chat_api.storage.dialects import insert_for
from chat_api.storage.engine import Sessions
from chat_api.storage.models import Conversation, Feedback, Message, utcnow
from chat_api.telemetry import metrics


def no_such_answer() -> ApiError:
    return ApiError(404, "not_found", "No such answer in this conversation.")


async def _answer_model(
    session: AsyncSession, identity: Identity, conversation_id: uuid.UUID, message_id: uuid.UUID, configured: str
) -> str:
    """The model that wrote the user's answer (or, for an answer that did not record it, the one configured
    now); 404 for a question, a message elsewhere, or another user's."""
    found = await session.execute(
        select(Message.role, Message.model)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.id == message_id,
            Message.conversation_id == conversation_id,
            Conversation.user_id == identity.user_id,
        )
    )
    row = found.one_or_none()
    if row is None or row.role != "assistant":
        raise no_such_answer()
    return row.model or configured


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    """One vote as the operators' export lists it; the question and answer only when they may see content."""

    updated_at: datetime
    rating: str
    reason: str | None
    comment: str | None
    model: str
    user_id: uuid.UUID
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    question: str | None = None
    answer: str | None = None


class FeedbackService:
    def __init__(self, sessions: Sessions, settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings

    async def vote(
        self, identity: Identity, conversation_id: uuid.UUID, message_id: uuid.UUID, vote: Vote
    ) -> FeedbackView:
        """Sets the user's vote on an answer (a second one replaces the first)."""
        now = utcnow()
        async with self.sessions.begin() as session:
            model = await _answer_model(session, identity, conversation_id, message_id, self.settings.model)
            before = await session.scalar(
                select(Feedback.rating).where(Feedback.message_id == message_id, Feedback.user_id == identity.user_id)
            )
            values = {"rating": vote.rating, "reason": vote.reason, "comment": vote.comment, "model": model}
            statement = insert_for(session, Feedback).values(
                id=uuid.uuid4(),
                message_id=message_id,
                user_id=identity.user_id,
                created_at=now,
                updated_at=now,
                **values,
            )
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[Feedback.message_id, Feedback.user_id], set_={**values, "updated_at": now}
                )
            )
        if before != vote.rating:  # a new vote, or a changed one: the comment alone changing is not a vote
            metrics.feedback_given(model, vote.rating)
        return FeedbackView(rating=vote.rating, reason=vote.reason, comment=vote.comment, updated_at=now)

    async def withdraw(self, identity: Identity, conversation_id: uuid.UUID, message_id: uuid.UUID) -> None:
        """The user's vote on an answer, gone; none there is no error (withdrawing twice is withdrawing)."""
        async with self.sessions.begin() as session:
            await _answer_model(session, identity, conversation_id, message_id, self.settings.model)
            withdrawn = await session.scalar(
                delete(Feedback)
                .where(Feedback.message_id == message_id, Feedback.user_id == identity.user_id)
                .returning(Feedback.model)
            )
        if withdrawn is not None:
            metrics.feedback_given(withdrawn, "withdrawn")

    async def rows(self, since: datetime | None, limit: int, with_content: bool) -> list[FeedbackRow]:
        """Every user's votes, the most recently given first: for the operators' export."""
        query = listing.votes(with_content).order_by(Feedback.updated_at.desc(), Feedback.id.desc()).limit(limit)
        if since is not None:
            query = query.where(Feedback.updated_at >= since)
        async with self.sessions() as session:
            result = await session.execute(query)
            return [FeedbackRow(**row._asdict()) for row in result]
