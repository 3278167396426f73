"""Stored summaries: the one that covers the most of a branch, and a new one saved once."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chat_api.storage.engine import Sessions
from chat_api.storage.models import Summary


@dataclass(frozen=True)
class StoredSummary:
    covers_message_id: uuid.UUID
    covered_messages: int
    content: str


def covering_most(rows: Iterable[Summary], branch: Sequence[uuid.UUID]) -> Summary | None:
    """Of the summaries made for this branch (each covers it up to one of its messages), the one that covers
    the most of it."""
    position = {ident: index for index, ident in enumerate(branch)}
    return max(
        (row for row in rows if row.covers_message_id in position),
        key=lambda row: position[row.covers_message_id],
        default=None,
    )


async def load(session: AsyncSession, conversation_id: uuid.UUID) -> list[Summary]:
    return list((await session.scalars(select(Summary).where(Summary.conversation_id == conversation_id))).all())


async def stored_for(
    session: AsyncSession, conversation_id: uuid.UUID, branch: Sequence[uuid.UUID]
) -> StoredSummary | None:
    best = covering_most(await load(session, conversation_id), branch)
    if best is None:
        return None
    return StoredSummary(best.covers_message_id, best.covered_messages, best.content)


async def save(sessions: Sessions, conversation_id: uuid.UUID, summary: StoredSummary) -> None:
    """Saves it once: a summary made meanwhile for the same point (a retry racing this one) stays."""
    try:
        async with sessions.begin() as session:
            session.add(
                Summary(
                    conversation_id=conversation_id,
                    covers_message_id=summary.covers_message_id,
                    covered_messages=summary.covered_messages,
                    content=summary.content,
                )
            )
    except IntegrityError:
        pass  # already made for this point, or its messages deleted meanwhile
