"""Planning a turn before any upstream call: the conversation is the user's, nothing else is streaming in it,
the request is not a repeat, and the history is the branch the new message continues."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from chat_api.auth.tokens import Identity
from chat_api.chat.citations import Sources
from chat_api.chat.images import ImageInput, images_tokens
from chat_api.chat.message_check import check_message
from chat_api.chat.models import Model, Models
from chat_api.chat.schemas import ChatRequest, Options
from chat_api.chat.schemas import Message as HistoryMessage
from chat_api.chat.window import Turn as MemoryTurn
from chat_api.conversations.service import Thread, load_thread, title_from
from chat_api.documents import sniff
from chat_api.documents.attachments import Attached, attach, attached_of, files_named, for_model, with_images_loaded
from chat_api.documents.quoting import WHOLE_PREAMBLE, quoted
from chat_api.documents.retrieval import DocumentSearch
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
    mcp_servers_off: frozenset[str] = frozenset()  # MCP servers switched off for the conversation
    # With the user's saved memories and the attached files' whole text, when small (None: the configured one).
    system_prompt: str | None = None
    sources: Sources = field(default_factory=Sources)  # the passages the prompt numbers (the files' whole text)
    reserved_tokens: int = 0  # what the prompt takes besides the history and the system prompt (tools, images)

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


def turns_of(branch: list[Message], vision: bool = False) -> list[MemoryTurn]:
    """The branch's turns that have text or called tools, as memory takes them (it decides what of them the model
    sees); an answer's calls and their results go with it, a question's files too (its images as images when the
    model takes them, else named)."""
    turns = []
    for message in branch:
        if not (message.content.strip() or message.parts):
            continue
        content, images = for_model(message.content, attached_of(message.attachments), vision)
        role = message.role
        turns.append(MemoryTurn(message.id, role, content, message.parts, images))  # type: ignore[arg-type]  # checked
    return turns


def no_vision(model: Model) -> ApiError:
    return ApiError(400, "vision_unsupported", f"This model ({model.id}) does not take images; pick one that does.")


def _tools_of(thread: Thread) -> tuple[bool, frozenset[str], frozenset[str]]:
    conversation = thread.conversation
    return (
        conversation.tools_enabled,
        frozenset(conversation.approved_tools),
        frozenset(conversation.mcp_servers_off or ()),
    )


class TurnPlanner:
    def __init__(
        self,
        sessions: Sessions,
        settings: Settings,
        models: Models,
        memory: Memory,
        user_memories: UserMemories | None = None,
        tools_tokens: int | Callable[[], int] = 0,
        documents: DocumentSearch | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.models = models
        self.memory = memory
        self.user_memories = user_memories
        self.documents = documents
        # What the tools' definitions take of a prompt that offers them (a callable: as the tools are now).
        self.tools_tokens = tools_tokens

    async def _system_prompt(self, identity: Identity, thread: Thread, model: Model) -> tuple[str | None, Sources]:
        """The system prompt with the user's saved memories after the configured one, then the conversation's
        files in whole when they are small (numbered among the answer's sources); None when there is neither."""
        sources = Sources()
        added: list[str] = []
        if self.user_memories is not None and thread.has_memories:
            saved = await memories_for_prompt(self.user_memories, identity.user_id, self.settings.MEMORIES_MAX_TOKENS)
            added += [saved] if saved is not None else []
        if self.documents is not None and thread.has_files:
            room = min(self.settings.DOCUMENTS_WHOLE_MAX_TOKENS, model.upstream.window.tokens // 4)
            passages = await self.documents.whole(identity.user_id, thread.conversation.id, room)
            added += [quoted(passages, sources, WHOLE_PREAMBLE)] if passages else []
        if not added:
            return None, sources
        configured = self.settings.SYSTEM_PROMPT.strip()
        return "\n\n".join([configured, *added] if configured else added), sources

    async def _recall(
        self,
        identity: Identity,
        thread: Thread,
        turns: list[MemoryTurn],
        message: str,
        options: Options,
        model: Model,
        images: tuple[ImageInput, ...] = (),
    ) -> tuple[list[HistoryMessage], str | None, Sources, int]:
        system_prompt, sources = await self._system_prompt(identity, thread, model)
        alongside = [system_prompt] if system_prompt is not None else []
        tokens = self.tools_tokens() if callable(self.tools_tokens) else self.tools_tokens
        reserved = tokens if thread.conversation.tools_enabled and model.entry.tools else 0
        reserved += images_tokens(images)
        history = await self.memory.recall(
            turns, message, options.max_tokens, thread.conversation.id, alongside, reserved, model.id
        )
        return history, system_prompt, sources, reserved

    def _checked(self, content: str, options: Options, requested: Model | None, thread: Thread | None = None) -> Model:
        """The model that answers (the one asked for, else the conversation's, else the default), with the
        message and its options checked against it: before the conversation is read (`thread` None), then once
        it is, only when its model decides (one not asked for, among several)."""
        decided = requested is not None or len(self.models.ids) == 1
        if thread is None:
            model = requested or self.models.default
            check_message("content", content, options if decided else Options(), self.settings, model=model.entry)
            return model
        if decided:
            return requested or self.models.default
        model = self.models.find(thread.conversation.model)
        check_message("content", content, options, self.settings, model=model.entry)
        return model

    async def send(
        self,
        identity: Identity,
        conversation_id: uuid.UUID,
        content: str,
        parent: uuid.UUID | None,
        parent_given: bool,
        options: Options,
        idempotency_key: str | None,
        model: str | None = None,
        attachments: Sequence[uuid.UUID] = (),
    ) -> Planned | Repeat:
        """`model`: the id asked for (400 when unknown), which the conversation keeps from this turn on.
        `attachments`: ids of the conversation's files the message carries (422 for any other; 400 for an image
        when the model takes none)."""
        requested = self.models.get(model) if model is not None else None
        self._checked(content, options, requested)
        async with self.sessions.autocommit() as session:  # reads, and a rare update that stands alone
            thread = await load_thread(session, identity, conversation_id, with_summaries=False)
            if idempotency_key is not None:
                repeat = self._repeat(thread, idempotency_key)
                if repeat is not None:
                    return repeat
            await self._ensure_idle(session, thread)
        answering = self._checked(content, options, requested, thread)
        if parent_given:
            if parent is not None and (parent not in thread.tree or thread.messages[parent].role != "assistant"):
                raise ApiError(404, "not_found", "parent_id: no such answer in this conversation")
        else:
            shown = thread.tree.branch(thread.conversation.current_leaf_id)
            parent = shown[-1] if shown else None
        branch = thread.branch_messages(parent)
        attached = await self._attached(identity, conversation_id, attachments, answering)
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
            model=answering.id,
            picks_model=requested is not None and requested.id != thread.conversation.model,
            attachments=[file.stored() for file in attached] or None,
        )
        vision = answering.entry.vision
        turns = turns_of(branch, vision)
        text, images = for_model(content, attached, vision)
        history, system_prompt, sources, reserved = await self._recall(
            identity, thread, turns, text, options, answering, images
        )
        request = ChatRequest(message=text, history=history, options=options, model=answering.id)
        request = await with_images_loaded(self.sessions, identity.user_id, request.with_images(images))
        return Planned(turn, request, turns, *_tools_of(thread), system_prompt, sources, reserved)

    async def retry(
        self,
        identity: Identity,
        conversation_id: uuid.UUID,
        answer_id: uuid.UUID,
        options: Options,
        model: str | None = None,
    ) -> Planned:
        """A new answer to the same user message: a sibling of `answer_id`, which stays. `model`: as `send`'s."""
        requested = self.models.get(model) if model is not None else None
        self._checked("x", options, requested)  # the options only: the message is saved
        async with self.sessions.autocommit() as session:  # reads, and a rare update that stands alone
            thread = await load_thread(session, identity, conversation_id, with_summaries=False)
            answer = thread.messages.get(answer_id)
            if answer is None or answer.role != "assistant" or answer.parent_id is None:
                raise ApiError(404, "not_found", "No such answer in this conversation.")
            await self._ensure_idle(session, thread)
        answering = self._checked("x", options, requested, thread)
        question = thread.messages[answer.parent_id]
        attached = attached_of(question.attachments)
        vision = answering.entry.vision
        if not vision and any(file.is_image for file in attached):
            raise no_vision(answering)
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
            model=answering.id,
            picks_model=requested is not None and requested.id != thread.conversation.model,
        )
        turns = turns_of(branch, vision)
        text, images = for_model(question.content, attached, vision)
        history, system_prompt, sources, reserved = await self._recall(
            identity, thread, turns, text, options, answering, images
        )
        request = ChatRequest(message=text, history=history, options=options, model=answering.id)
        request = await with_images_loaded(self.sessions, identity.user_id, request.with_images(images))
        return Planned(turn, request, turns, *_tools_of(thread), system_prompt, sources, reserved)

    async def _attached(
        self, identity: Identity, conversation_id: uuid.UUID, ids: Sequence[uuid.UUID], model: Model
    ) -> list[Attached]:
        files = await files_named(self.sessions, identity, conversation_id, ids)
        if not model.entry.vision and any(file.media_type in sniff.IMAGES for file in files):
            raise no_vision(model)
        return await attach(self.sessions, files, self.settings.EXTRACT_TIMEOUT_S)

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
