"""What a generation writes: the user's message and the answer's row beside the upstream call, the answer's
text as it grows (at most about once a second, renewing the owner's lease), and the answer's end."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from chat_api.http.errors import ApiError
from chat_api.storage.engine import Sessions
from chat_api.storage.models import Conversation, Message, MessageStatus, utcnow

# An answer whose owner stopped before its end (its process died, or shut down with the answer still going).
INTERRUPTED = ApiError(503, "upstream_unavailable", "The answer was interrupted: the server writing it stopped. Retry.")


@dataclass(frozen=True)
class Turn:
    """One answer to write: the user's message (new, or an existing one when the answer is retried)."""

    conversation_id: uuid.UUID
    assistant_id: uuid.UUID
    user_id: uuid.UUID  # the user message's id
    new_user_message: bool
    user_parent_id: uuid.UUID | None
    content: str
    idempotency_key: str | None
    title: str | None  # a new title for the conversation (its first message)
    model: str  # the id of the model that answers
    picks_model: bool = False  # the send switched the conversation to `model` (from this turn on)
    attachments: list[dict[str, Any]] | None = None  # the new user message's files (documents.attachments)


@dataclass(frozen=True)
class Outcome:
    status: MessageStatus
    content: str
    finish_reason: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    parts: list[dict[str, Any]] | None = None  # when the answer called tools (`Transcript.stored`)


def interrupted(now: datetime) -> dict[str, object]:
    """An answer whose owner died: it keeps the text it had saved."""
    return {
        "status": MessageStatus.INTERRUPTED,
        "error_code": INTERRUPTED.code,
        "error_message": INTERRUPTED.message,
        "lease_expires_at": None,
        "updated_at": now,
    }


# Every answer saves about once a second: prepared Core statements, without the ORM's per-call work.
MESSAGES = cast(Table, Message.__table__)
CONVERSATIONS = cast(Table, Conversation.__table__)
RENEW_LEASE = (
    update(MESSAGES)
    .where(MESSAGES.c.id == bindparam("answer_id"), MESSAGES.c.status == MessageStatus.STREAMING)
    .values(lease_expires_at=bindparam("lease_until"))
)
SAVE_TEXT = RENEW_LEASE.values(content=bindparam("text"), updated_at=bindparam("at"))


def message_row(turn: Turn, ident: uuid.UUID, parent: uuid.UUID | None, role: str, content: str) -> dict[str, object]:
    """A messages row for `insert` (Core, no ORM object): the answer's fields are set by the caller."""
    return {
        "id": ident,
        "conversation_id": turn.conversation_id,
        "parent_id": parent,
        "role": role,
        "content": content,
        "status": MessageStatus.DONE,
        "model": None,
        "idempotency_key": None,
        "lease_expires_at": None,
        "attachments": None,
    }


def busy() -> ApiError:
    return ApiError(409, "conflict", "An answer is still being written in this conversation: wait, or stop it.")


class GenerationStore:
    def __init__(self, sessions: Sessions, lease: timedelta) -> None:
        self.sessions = sessions
        self.lease = lease

    async def insert(self, turn: Turn) -> None:
        """409 when another answer is streaming in the conversation (the database's unique index decides),
        or the conversation has gone."""
        now = utcnow()
        answer = message_row(turn, turn.assistant_id, turn.user_id, "assistant", "")
        answer |= {"status": MessageStatus.STREAMING, "model": turn.model, "lease_expires_at": now + self.lease}
        rows = [answer]
        if turn.new_user_message:
            question = message_row(turn, turn.user_id, turn.user_parent_id, "user", turn.content)
            question["idempotency_key"] = turn.idempotency_key
            question["attachments"] = turn.attachments
            rows.insert(0, question)  # first: the answer's parent
        for row in rows:
            row["created_at"] = row["updated_at"] = now
        values: dict[str, object] = {"current_leaf_id": turn.assistant_id, "updated_at": now}
        if turn.title:
            values["title"] = turn.title
        if turn.picks_model:
            values["model"] = turn.model
        try:
            # One transaction: the messages and the conversation moved to the answer are committed together
            # or not at all (a process dying between two commits left a user message without its answer).
            # Its BEGIN and COMMIT run while the upstream opens, beside it. A conversation deleted before it
            # fails it (the messages' foreign key); after it, its messages go with it.
            async with self.sessions.begin() as session:
                await session.execute(insert(MESSAGES), rows)
                changed = await session.execute(
                    update(CONVERSATIONS).where(CONVERSATIONS.c.id == turn.conversation_id).values(**values)
                )
                if changed.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's result has it
                    raise ApiError(404, "not_found", "No such conversation.")
        except IntegrityError:
            raise busy() from None

    async def progress(self, assistant_id: uuid.UUID, content: str | None) -> None:
        """The text so far (None: unchanged), and the owner's lease renewed."""
        now = utcnow()
        params: dict[str, object] = {"answer_id": assistant_id, "lease_until": now + self.lease}
        if content is not None:
            params.update(text=content, at=now)
        async with self.sessions.autocommit() as session:
            await session.execute(SAVE_TEXT if content is not None else RENEW_LEASE, params)

    async def end(self, assistant_id: uuid.UUID, outcome: Outcome) -> None:
        async with self.sessions.autocommit() as session:
            await session.execute(
                update(Message)
                .where(Message.id == assistant_id)
                .values(
                    status=outcome.status,
                    content=outcome.content,
                    finish_reason=outcome.finish_reason,
                    error_code=outcome.error_code,
                    error_message=outcome.error_message,
                    prompt_tokens=outcome.prompt_tokens,
                    completion_tokens=outcome.completion_tokens,
                    parts=outcome.parts,
                    lease_expires_at=None,
                    updated_at=utcnow(),
                )
            )

    async def approve_tool(self, conversation_id: uuid.UUID, tool: str) -> None:
        """`tool` runs without asking again in this conversation (the user allowed it for the conversation)."""
        async with self.sessions.begin() as session:
            conversation = await session.get(Conversation, conversation_id, with_for_update=True)
            if conversation is not None and tool not in conversation.approved_tools:
                conversation.approved_tools = sorted({*conversation.approved_tools, tool})

    async def reachable(self) -> None:
        """Raises while the database is out of reach."""
        async with self.sessions.autocommit() as session:
            await session.execute(select(literal(1)))

    async def sweep(self) -> list[tuple[uuid.UUID, str]]:
        """Answers whose owner stopped renewing its lease (its process died): `interrupted`, with what they
        had saved; returned with that text. Any process runs this; the update itself decides who marks each."""
        now = utcnow()
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(Message)
                .where(Message.status == MessageStatus.STREAMING, Message.lease_expires_at < now)
                .values(**interrupted(now))
                .returning(Message.id, Message.content)
            )
            return [(row.id, row.content) for row in result]

    async def recover(self, assistant_id: uuid.UUID, content: str) -> None:
        """The text an interrupted answer's readers saw, when it is more than was saved before its owner died."""
        async with self.sessions.begin() as session:
            await session.execute(
                update(Message)
                .where(Message.id == assistant_id, Message.status == MessageStatus.INTERRUPTED)
                .values(content=content, updated_at=utcnow())
            )
