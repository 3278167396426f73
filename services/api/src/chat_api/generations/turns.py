"""Planning a turn before any upstream call: the conversation is the user's, nothing else is streaming in it,
the request is not a repeat, and the history is the branch the new message continues."""

import uuid
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from chat_api.auth.tokens import Identity
from chat_api.chat.message_check import check_message
from chat_api.chat.schemas import ChatRequest, Options
from chat_api.chat.schemas import Message as HistoryMessage
from chat_api.chat.window import Turn as MemoryTurn
from chat_api.conversations.service import Thread, load_thread, title_from
from chat_api.generations.store import Turn, busy, interrupted
from chat_api.http.errors import ApiError
from chat_api.memory.service import Memory
from chat_api.settings import Settings
from chat_api.storage.engine import Sessions
from chat_api.storage.models import Message, MessageStatus, utcnow
from chat_api.user_memories.prompt import memories_for_prompt
from chat_api.user_memories.service import UserMemories


@dataclass(frozen=True)
class Planned:
    """A turn to answer: its rows, the request to the model (its history fitted to the window) and the whole
    branch it continues (for memory, once the answer has ended)."""

    turn: Turn
    request: ChatRequest
    branch: list[MemoryTurn]
    tools_enabled: bool = True  # the conversation's switch
    approved_tools: frozenset[str] = frozenset()  # allowed for the conversation: they run without asking
    system_prompt: str | None = None  # with the user's saved memories (None: the configured one; there are none)

    def with_answer(self, text: str) -> list[MemoryTurn]:
        """The branch once answered: the question, then the answer's `text` (when it has any)."""
        turn = self.turn
        question = MemoryTurn(turn.user_id, "user", turn.content)
        answer = [MemoryTurn(turn.assistant_id, "assistant", text)] if text.strip() else []
        return [*self.branch, question, *answer]


@dataclass(frozen=True)
class Repeat:
    """The request repeats one already made (same Idempotency-Key): its answer, not a second one."""

    assistant_id: uuid.UUID


def turns_of(branch: list[Message]) -> list[MemoryTurn]:
    """The branch's turns that have text or called tools, as memory takes them (it decides what of them the model
    sees); an answer's calls and their results go with it."""
    return [
        MemoryTurn(message.id, message.role, message.content, message.parts)  # type: ignore[arg-type]  # checked role
        for message in branch
        if message.content.strip() or message.parts
    ]


def _tools_of(thread: Thread) -> tuple[bool, frozenset[str]]:
    conversation = thread.conversation
    return conversation.tools_enabled, frozenset(conversation.approved_tools)


class TurnPlanner:
    def __init__(
        self,
        sessions: Sessions,
        settings: Settings,
        model: str,
        memory: Memory,
        user_memories: UserMemories | None = None,
        tools_tokens: int = 0,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.model = model
        self.memory = memory
        self.user_memories = user_memories
        self.tools_tokens = tools_tokens  # what the tools' definitions take of a prompt that offers them

    async def _system_prompt(self, identity: Identity) -> str | None:
        """The system prompt with the user's saved memories after the configured one; None when they have none."""
        if self.user_memories is None:
            return None
        saved = await memories_for_prompt(self.user_memories, identity.user_id, self.settings.MEMORIES_MAX_TOKENS)
        if saved is None:
            return None
        configured = self.settings.SYSTEM_PROMPT.strip()
        return f"{configured}\n\n{saved}" if configured else saved

    async def _recall(
        self, identity: Identity, thread: Thread, turns: list[MemoryTurn], message: str, options: Options
    ) -> tuple[list[HistoryMessage], str | None]:
        system_prompt = await self._system_prompt(identity)
        alongside = [system_prompt] if system_prompt is not None else []
        reserved = self.tools_tokens if thread.conversation.tools_enabled else 0
        history = await self.memory.recall(
            turns, message, options.max_tokens, thread.conversation.id, alongside, reserved
        )
        return history, system_prompt

    async def send(
        self,
        identity: Identity,
        conversation_id: uuid.UUID,
        content: str,
        parent: uuid.UUID | None,
        parent_given: bool,
        options: Options,
        idempotency_key: str | None,
    ) -> Planned | Repeat:
        check_message("content", content, options, self.settings)
        async with self.sessions.autocommit() as session:  # reads, and a rare update that stands alone
            thread = await load_thread(session, identity, conversation_id, with_summaries=False)
            if idempotency_key is not None:
                repeat = self._repeat(thread, idempotency_key)
                if repeat is not None:
                    return repeat
            await self._ensure_idle(session, thread)
        if parent_given:
            if parent is not None and (parent not in thread.tree or thread.messages[parent].role != "assistant"):
                raise ApiError(404, "not_found", "parent_id: no such answer in this conversation")
        else:
            shown = thread.tree.branch(thread.conversation.current_leaf_id)
            parent = shown[-1] if shown else None
        branch = thread.branch_messages(parent)
        first = not thread.messages
        turn = Turn(
            conversation_id=conversation_id,
            assistant_id=uuid.uuid4(),
            user_id=uuid.uuid4(),
            new_user_message=True,
            user_parent_id=parent,
            content=content,
            idempotency_key=idempotency_key,
            title=title_from(content) if first and thread.conversation.title == "New chat" else None,
            model=self.model,
        )
        turns = turns_of(branch)
        history = await self.memory.recall(turns, content, options.max_tokens, conversation_id)
        return Planned(turn, ChatRequest(message=content, history=history, options=options), turns, *_tools_of(thread))

    async def retry(
        self, identity: Identity, conversation_id: uuid.UUID, answer_id: uuid.UUID, options: Options
    ) -> Planned:
        """A new answer to the same user message: a sibling of `answer_id`, which stays."""
        check_message("content", "x", options, self.settings)  # the options only: the message is saved
        async with self.sessions.autocommit() as session:  # reads, and a rare update that stands alone
            thread = await load_thread(session, identity, conversation_id, with_summaries=False)
            answer = thread.messages.get(answer_id)
            if answer is None or answer.role != "assistant" or answer.parent_id is None:
                raise ApiError(404, "not_found", "No such answer in this conversation.")
            await self._ensure_idle(session, thread)
        question = thread.messages[answer.parent_id]
        branch = thread.branch_messages(question.parent_id)
        turn = Turn(
            conversation_id=conversation_id,
            assistant_id=uuid.uuid4(),
            user_id=question.id,
            new_user_message=False,
            user_parent_id=question.parent_id,
            content=question.content,
            idempotency_key=None,
            title=None,
            model=self.model,
        )
        turns = turns_of(branch)
        history, system_prompt = await self._recall(identity, thread, turns, question.content, options)
        request = ChatRequest(message=question.content, history=history, options=options)
        return Planned(turn, request, turns, *_tools_of(thread), system_prompt)

    def _repeat(self, thread: Thread, key: str) -> Repeat | None:
        asked = next((m for m in thread.messages.values() if m.idempotency_key == key and m.role == "user"), None)
        if asked is None:
            return None
        answers = [thread.messages[child] for child in thread.tree.children.get(asked.id, [])]
        if not answers:
            return None
        return Repeat(answers[0].id)

    async def _ensure_idle(self, session: AsyncSession, thread: Thread) -> None:
        """409 while an answer streams here; one whose owner has died (lease lapsed) is marked interrupted."""
        now = utcnow()
        for message in thread.messages.values():
            if message.status != MessageStatus.STREAMING:
                continue
            if message.lease_expires_at is not None and message.lease_expires_at > now:
                raise busy()
            await session.execute(
                update(Message)
                .where(Message.id == message.id, Message.status == MessageStatus.STREAMING)
                .values(**interrupted(now))
            )
            message.status = MessageStatus.INTERRUPTED
