"""Every user's votes as the operators read them (the admin view's list and the CSV export): each with its
answer's conversation, and the question and answer only when the operators may see content (else null)."""

from typing import Any

from sqlalchemy import Select, null, select
from sqlalchemy.orm import aliased

from chat_api.storage.models import Feedback, Message


def votes(with_content: bool) -> Select[Any]:
    question = aliased(Message)
    columns: list[Any] = [
        Feedback.updated_at,
        Feedback.rating,
        Feedback.reason,
        Feedback.comment,
        Feedback.model,
        Feedback.user_id,
        Message.conversation_id,
        Feedback.message_id,
        (question.content if with_content else null()).label("question"),
        (Message.content if with_content else null()).label("answer"),
    ]
    query = select(*columns).join(Message, Message.id == Feedback.message_id)
    if with_content:
        query = query.outerjoin(question, question.id == Message.parent_id)
    return query
