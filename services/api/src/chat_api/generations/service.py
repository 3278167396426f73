"""Generations as the routes use them: start an answer (or find the one a repeated request started), read one
from any point, stop one; each checked against its owner."""

import asyncio
import uuid
from collections.abc import AsyncIterator

from sqlalchemy import select

from chat_api.auth.tokens import Identity
from chat_api.chat.events import Decision, Failed, Finished, SavedUsage, Snapshot
from chat_api.chat.parts import public_parts
from chat_api.chat.wire import EncodedEvent
from chat_api.generations.log import EventLog, EventLogUnavailable
from chat_api.generations.runner import Generation, GenerationRunner, Plan
from chat_api.generations.turns import Planned, Repeat
from chat_api.http.errors import ApiError
from chat_api.storage.engine import Sessions
from chat_api.storage.models import Conversation, Message, MessageStatus
from chat_api.storage.outage import is_unreachable
from chat_api.telemetry import metrics
from chat_api.tools.toolkit import ToolGrant

SNAPSHOT_POLL_S = 1.0


def no_such_answer() -> ApiError:
    return ApiError(404, "not_found", "No such answer.")


def has_ended(message: Message) -> ApiError:
    return ApiError(409, "conflict", f"This answer has ended ({message.status}).")


def owner_unreachable(to: str = "stop it: it may go on") -> ApiError:
    return ApiError(
        503,
        "stop_unavailable",
        f"The server writing this answer could not be reached to {to}. Please retry.",
        {"Retry-After": "1"},
    )


def snapshot(message: Message) -> EncodedEvent:
    """An answer as the database has it: the reader replaces what it shows with this."""
    usage = SavedUsage(message.prompt_tokens, message.completion_tokens)
    error = Failed(message.error_code, message.error_message or "") if message.error_code else None
    event = Snapshot(
        assistant_message_id=str(message.id),
        content=message.content,
        status=MessageStatus(message.status),
        finish_reason=message.finish_reason,
        usage=usage if message.completion_tokens is not None else None,
        error=error,
        parts=public_parts(message.parts),
    )
    return EncodedEvent.of(event)


def ending(message: Message) -> EncodedEvent:
    if message.status in (MessageStatus.DONE, MessageStatus.STOPPED):
        return EncodedEvent.of(Finished(message.finish_reason or "cancelled"))  # type: ignore[arg-type]  # saved
    return EncodedEvent.of(Failed(message.error_code or "upstream_error", message.error_message or "Failed."))


class Generations:
    def __init__(self, runner: GenerationRunner, log: EventLog, sessions: Sessions) -> None:
        self.runner = runner
        self.log = log
        self.sessions = sessions

    def start(self, plan: Plan) -> Generation:
        return self.runner.start(plan)

    @property
    def tools_tokens(self) -> int:
        """What the tools' definitions take of each prompt that offers them."""
        toolkit = self.runner.toolkit
        return toolkit.definitions_tokens if toolkit is not None else 0

    def tools_for(self, identity: Identity, planned: Planned) -> ToolGrant | None:
        """The tools the answer may offer the model (None: none)."""
        toolkit = self.runner.toolkit
        if toolkit is None or not self.runner.chat.models.find(planned.turn.model).entry.tools:
            return None  # no toolkit, or a model configured without tools (`tools: false`)
        conversation_id = planned.turn.conversation_id
        return toolkit.grant(
            identity,
            conversation_id,
            enabled=planned.tools_enabled,
            approved=planned.approved_tools,
            servers_off=planned.mcp_servers_off,
        )

    async def answer(self, identity: Identity, answer_id: uuid.UUID) -> Message:
        async with self.sessions() as session:
            message = await session.scalar(
                select(Message)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Message.id == answer_id, Message.role == "assistant", Conversation.user_id == identity.user_id)
            )
        if message is None:
            raise no_such_answer()
        return message

    async def events(
        self, identity: Identity, answer_id: uuid.UUID, after: str | None
    ) -> AsyncIterator[list[EncodedEvent]]:
        """The answer's events after `after`: from its log while it has one (replay, then live), else from
        the database (a snapshot, then one a second until it ends)."""
        try:
            message = await self.answer(identity, answer_id)
        except Exception as error:
            if not (is_unreachable(error) and self._written_here_for(identity, answer_id)):
                raise
            # The database is away (a restart), but this process writes the answer, for this user: its log has
            # every event. (Any other answer is a 503 to retry, from the error handler.)
            return self._from_log(answer_id, after)
        if after is not None and message.status == MessageStatus.STREAMING:
            metrics.reader_resumed(message.model)
        # Still being written: the shared log has it, or will (its owner writes behind, so under load the first
        # events may not be there yet; the reader waits for them). Otherwise the log may have it still.
        if (self.log.shared and message.status == MessageStatus.STREAMING) or await self.log.known(str(answer_id)):
            return self._from_log(message.id, after)
        return self._from_database(message)

    def _written_here_for(self, identity: Identity, answer_id: uuid.UUID) -> bool:
        generation = self.runner.running.get(str(answer_id))
        return generation is not None and generation.plan.owner == identity.user_id

    async def repeat(self, identity: Identity, repeat: Repeat) -> AsyncIterator[list[EncodedEvent]]:
        return await self.events(identity, repeat.assistant_id, None)

    async def stop(self, identity: Identity, answer_id: uuid.UUID) -> str:
        """`stopping` once the process writing the answer has the Stop; a 409 when the answer has ended (before,
        or meanwhile); a 503 when nobody writing it could be reached (its process died and the sweeper has not
        marked it yet, or Redis is out of reach): the answer may go on, retry."""
        await self._streaming(identity, answer_id)
        if await self.runner.stop(str(answer_id)):
            return "stopping"
        await self._streaming(identity, answer_id)  # ended meanwhile: its owner no longer listens for it
        raise owner_unreachable()

    async def decide(self, identity: Identity, answer_id: uuid.UUID, call_id: str, decision: Decision) -> str:
        """`decided` once the process writing the answer has the decision; 404 when no call of it waits for one,
        409 when the answer has ended, 503 when nobody writing it could be reached (as for Stop)."""
        await self._streaming(identity, answer_id)
        taken = await self.runner.decide(str(answer_id), call_id, decision)
        if taken:
            return "decided"
        if taken is False:
            raise ApiError(404, "not_found", "No call of this answer is waiting for that decision.")
        await self._streaming(identity, answer_id)
        raise owner_unreachable("give it your decision")

    async def _streaming(self, identity: Identity, answer_id: uuid.UUID) -> None:
        """The user's answer, still being written: else its 404, or a 409 once it has ended."""
        message = await self.answer(identity, answer_id)
        if message.status != MessageStatus.STREAMING:
            raise has_ended(message)

    async def stop_all_of(self, identity: Identity) -> int:
        """Stops every answer being written for this user, wherever it runs (its account is going)."""
        async with self.sessions() as session:
            streaming = await session.scalars(
                select(Message.id)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Conversation.user_id == identity.user_id, Message.status == MessageStatus.STREAMING)
            )
            answer_ids = list(streaming)
        await asyncio.gather(*(self.runner.stop(str(answer_id)) for answer_id in answer_ids))
        return len(answer_ids)

    async def _from_log(self, answer_id: uuid.UUID, after: str | None) -> AsyncIterator[list[EncodedEvent]]:
        try:
            async for batch in self.log.read(str(answer_id), after):
                yield batch
        except EventLogUnavailable:
            async with self.sessions() as session:
                fresh = await session.get(Message, answer_id)
            if fresh is not None:
                async for batch in self._from_database(fresh):
                    yield batch

    async def _from_database(self, message: Message) -> AsyncIterator[list[EncodedEvent]]:
        yield [snapshot(message)]
        while message.status == MessageStatus.STREAMING:
            await asyncio.sleep(SNAPSHOT_POLL_S)
            async with self.sessions() as session:
                fresh = await session.get(Message, message.id)
            if fresh is None:
                return
            if fresh.content != message.content or fresh.status != message.status:
                yield [snapshot(fresh)]
            message = fresh
        yield [ending(message)]
