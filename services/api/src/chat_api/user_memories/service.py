"""A user's saved facts: add (the same fact said again is kept once, as the newest), list (newest first),
delete one, delete all. Bounded: so many facts a user, each so long."""

import hashlib
import uuid
from typing import Final

from sqlalchemy import delete, func, select

from chat_api.conversations.schemas import storable
from chat_api.http.errors import ApiError
from chat_api.storage.dialects import insert_for
from chat_api.storage.engine import Sessions
from chat_api.storage.models import MEMORY_MAX_CHARS, User, UserMemory, utcnow
from chat_api.user_memories.schemas import MemoryView

NEWEST_FIRST: Final = (UserMemory.created_at.desc(), UserMemory.id.desc())


def tidied(fact: str) -> str:
    """One line, trimmed; refused when empty, too long or not storable text."""
    line = " ".join(fact.split())
    if not line:
        raise ApiError(422, "invalid_request", "fact: must not be empty")
    if len(line) > MEMORY_MAX_CHARS:
        raise ApiError(422, "invalid_request", f"fact: at most {MEMORY_MAX_CHARS} characters")
    try:
        return storable(line)
    except ValueError as error:
        raise ApiError(422, "invalid_request", f"fact: {error}") from None


def fold(line: str) -> str:
    """The key two ways of writing one fact share (case and spacing apart)."""
    return hashlib.sha256(line.casefold().encode()).hexdigest()


def memory_view(row: UserMemory) -> MemoryView:
    return MemoryView(id=row.id, content=row.content, created_at=row.created_at)


class UserMemories:
    def __init__(self, sessions: Sessions, max_per_user: int) -> None:
        self.sessions = sessions
        self.max_per_user = max_per_user

    async def add(self, user_id: uuid.UUID, fact: str) -> MemoryView:
        """Save `fact`; a fact already saved (case and spacing apart) is kept once and becomes the newest, in
        the words given last. Refused (409 `memories_full`) when the user has as many as allowed."""
        line = tidied(fact)
        key = fold(line)
        async with self.sessions.begin() as session:
            # Adds of one user wait for each other here (Postgres), so two at once cannot pass the bound.
            await session.execute(select(User.id).where(User.id == user_id).with_for_update())
            existing = await session.scalar(
                select(UserMemory).where(UserMemory.user_id == user_id, UserMemory.content_key == key)
            )
            if existing is not None:
                existing.content, existing.created_at = line, utcnow()
                return memory_view(existing)
            count = await session.scalar(select(func.count()).where(UserMemory.user_id == user_id))
            if (count or 0) >= self.max_per_user:
                raise ApiError(
                    409,
                    "memories_full",
                    f"You have {self.max_per_user} saved memories, the most allowed: delete some first.",
                )
            statement = insert_for(session, UserMemory).values(
                id=uuid.uuid4(), user_id=user_id, content=line, content_key=key, created_at=utcnow()
            )
            row = await session.execute(statement.returning(UserMemory.id, UserMemory.created_at))
            ident, created_at = row.one()
        return MemoryView(id=ident, content=line, created_at=created_at)

    async def newest(self, user_id: uuid.UUID, limit: int | None = None) -> list[MemoryView]:
        query = select(UserMemory).where(UserMemory.user_id == user_id).order_by(*NEWEST_FIRST)
        async with self.sessions.autocommit() as session:
            rows = (await session.scalars(query.limit(limit or self.max_per_user))).all()
        return [memory_view(row) for row in rows]

    async def delete(self, user_id: uuid.UUID, memory_id: uuid.UUID) -> None:
        """404 when there is no such memory of this user's (another user's is not told apart)."""
        async with self.sessions.begin() as session:
            result = await session.execute(
                delete(UserMemory).where(UserMemory.id == memory_id, UserMemory.user_id == user_id)
            )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise ApiError(404, "not_found", "No such memory.")

    async def delete_all(self, user_id: uuid.UUID) -> None:
        async with self.sessions.begin() as session:
            await session.execute(delete(UserMemory).where(UserMemory.user_id == user_id))
