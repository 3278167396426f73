"""Conversations and their messages, always scoped to their owner: another user's conversation is not found,
exactly as a missing one is."""

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, delete, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chat_api.auth.tokens import Identity
from chat_api.chat.events import SavedUsage
from chat_api.chat.parts import public_parts
from chat_api.conversations.schemas import (
    AttachmentView,
    ConversationDetail,
    ConversationPage,
    ConversationView,
    FeedbackView,
    Imported,
    ImportedConversation,
    MessageError,
    MessagePage,
    MessageView,
    SummaryView,
)
from chat_api.conversations.tree import Node, Tree
from chat_api.feedback.store import votes_in
from chat_api.http.errors import ApiError
from chat_api.memory import summaries
from chat_api.storage.engine import Sessions
from chat_api.storage.models import (
    Conversation,
    FileStatus,
    Message,
    MessageStatus,
    StoredFile,
    Summary,
    UserMemory,
    utcnow,
)
from chat_api.storage.paging import newest_first, page_of

TITLE_FROM_MESSAGE = 48
LAST_MESSAGES = 50  # what a conversation opens with; earlier ones come a page at a time


def not_found() -> ApiError:
    return ApiError(404, "not_found", "No such conversation.")


def title_from(text: str) -> str:
    line = " ".join(text.split())
    if len(line) > TITLE_FROM_MESSAGE:
        line = line[: TITLE_FROM_MESSAGE - 1].rstrip() + "…"
    return line or "New chat"


def conversation_view(conversation: Conversation) -> ConversationView:
    return ConversationView(
        id=conversation.id,
        title=conversation.title,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
        tools_enabled=conversation.tools_enabled,
        model=conversation.model,
        mcp_servers_off=list(conversation.mcp_servers_off or ()),
    )


def message_view(message: Message, tree: Tree, vote: FeedbackView | None = None) -> MessageView:
    error = None
    if message.error_code is not None:
        error = MessageError(code=message.error_code, message=message.error_message or "The answer failed.")
    usage = None
    if message.prompt_tokens is not None or message.completion_tokens is not None:
        usage = SavedUsage(prompt_tokens=message.prompt_tokens, completion_tokens=message.completion_tokens)
    return MessageView(
        id=message.id,
        parent_id=message.parent_id,
        role=message.role,  # the table's check constraint holds it to the two
        content=message.content,
        parts=public_parts(message.parts),
        attachments=[AttachmentView.model_validate(row) for row in message.attachments]
        if message.attachments
        else None,
        status=message.status,
        finish_reason=message.finish_reason,
        error=error,
        model=message.model,
        usage=usage,
        created_at=message.created_at,
        updated_at=message.updated_at,
        sibling_ids=tree.siblings(message.id),
        feedback=vote,
    )


@dataclass(frozen=True)
class Thread:
    """A conversation as one request needs it: the row, its message tree, and the messages of a branch; whether
    it has files ready to read and its user saved memories (a send without either asks nothing more of them);
    for the views, the user's votes on its answers too."""

    conversation: Conversation
    tree: Tree
    messages: dict[uuid.UUID, Message]
    summaries: list[Summary]
    votes: Mapping[uuid.UUID, FeedbackView] = dataclasses.field(default_factory=dict)
    has_files: bool = False
    has_memories: bool = False

    def branch_messages(self, leaf: uuid.UUID | None) -> list[Message]:
        return [self.messages[ident] for ident in self.tree.path_to(leaf)]

    def view(self, message_id: uuid.UUID) -> MessageView:
        return message_view(self.messages[message_id], self.tree, self.votes.get(message_id))


# Built once: every send runs these, and building a statement costs more than running a cached one.
OWNED = select(Conversation).where(
    Conversation.id == bindparam("conversation_id"), Conversation.user_id == bindparam("user_id")
)
OWNED_FOR_A_SEND = OWNED.add_columns(
    exists().where(StoredFile.conversation_id == Conversation.id, StoredFile.status == FileStatus.READY),
    exists().where(UserMemory.user_id == Conversation.user_id),
)
MESSAGES_OF = select(Message).where(Message.conversation_id == bindparam("conversation_id"))


async def owned(session: AsyncSession, identity: Identity, conversation_id: uuid.UUID) -> Conversation:
    conversation = await session.scalar(OWNED, {"conversation_id": conversation_id, "user_id": identity.user_id})
    if conversation is None:
        raise not_found()
    return conversation


async def load_thread(
    session: AsyncSession, identity: Identity, conversation_id: uuid.UUID, with_summaries: bool = True
) -> Thread:
    """The conversation (with whether it has files ready and its user memories) and all its messages, one query
    each: its tree is what every view of it needs; and its summaries, which only the views show (memory reads the
    one it needs itself)."""
    found = (
        await session.execute(OWNED_FOR_A_SEND, {"conversation_id": conversation_id, "user_id": identity.user_id})
    ).one_or_none()
    if found is None:
        raise not_found()
    conversation, has_files, has_memories = found
    rows: Sequence[Message] = (await session.scalars(MESSAGES_OF, {"conversation_id": conversation_id})).all()
    tree = Tree(Node(row.id, row.parent_id, row.created_at) for row in rows)
    shown = await summaries.load(session, conversation_id) if with_summaries else []
    return Thread(
        conversation, tree, {row.id: row for row in rows}, shown, has_files=has_files, has_memories=has_memories
    )


async def load_view(session: AsyncSession, identity: Identity, conversation_id: uuid.UUID) -> Thread:
    """The thread as the views show it: with its summaries and the user's votes (a query more than a send's)."""
    thread = await load_thread(session, identity, conversation_id)
    return dataclasses.replace(thread, votes=await votes_in(session, conversation_id, identity.user_id))


class ConversationService:
    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions

    async def page(self, identity: Identity, cursor: str | None, limit: int) -> ConversationPage:
        mine = select(Conversation).where(Conversation.user_id == identity.user_id)
        query = newest_first(mine, Conversation.updated_at, Conversation.id, cursor, limit)
        async with self.sessions() as session:
            rows = (await session.scalars(query)).all()
        items, next_cursor = page_of(rows, limit, lambda row: (row.updated_at, row.id))
        return ConversationPage(items=[conversation_view(row) for row in items], next_cursor=next_cursor)

    async def create(self, identity: Identity, title: str | None, model: str | None = None) -> ConversationView:
        """`model`: an id of the configured models (checked by the caller); None: the default."""
        async with self.sessions.begin() as session:
            conversation = Conversation(
                user_id=identity.user_id, title=(title or "").strip() or "New chat", model=model
            )
            session.add(conversation)
        return conversation_view(conversation)

    async def detail(self, identity: Identity, conversation_id: uuid.UUID) -> ConversationDetail:
        async with self.sessions() as session:
            thread = await load_view(session, identity, conversation_id)
        return self._detail(thread, thread.conversation.current_leaf_id)

    async def change(
        self,
        identity: Identity,
        conversation_id: uuid.UUID,
        title: str | None,
        tools_enabled: bool | None,
        mcp_servers_off: list[str] | None = None,
        model: str | None = None,
    ) -> ConversationView:
        """`model` (checked by the caller) applies from the next answer: one streaming now keeps its own."""
        async with self.sessions.begin() as session:
            conversation = await owned(session, identity, conversation_id)
            if title is not None:
                conversation.title = title.strip() or conversation.title
                conversation.updated_at = utcnow()
            if tools_enabled is not None:
                conversation.tools_enabled = tools_enabled
            if mcp_servers_off is not None:
                conversation.mcp_servers_off = sorted(set(mcp_servers_off))
            if model is not None:
                conversation.model = model
        return conversation_view(conversation)

    async def choose_branch(
        self, identity: Identity, conversation_id: uuid.UUID, message_id: uuid.UUID
    ) -> ConversationDetail:
        async with self.sessions.begin() as session:
            thread = await load_view(session, identity, conversation_id)
            if message_id not in thread.tree:
                raise ApiError(404, "not_found", "No such message in this conversation.")
            leaf = thread.tree.latest_leaf_under(message_id)
            thread.conversation.current_leaf_id = leaf
        return self._detail(thread, leaf)

    async def siblings(
        self, identity: Identity, conversation_id: uuid.UUID, message_id: uuid.UUID
    ) -> list[MessageView]:
        async with self.sessions() as session:
            thread = await load_view(session, identity, conversation_id)
        if message_id not in thread.tree:
            raise ApiError(404, "not_found", "No such message in this conversation.")
        return [thread.view(ident) for ident in thread.tree.siblings(message_id)]

    async def delete(self, identity: Identity, conversation_id: uuid.UUID) -> None:
        async with self.sessions.begin() as session:
            conversation = await owned(session, identity, conversation_id)
            await session.execute(delete(Message).where(Message.conversation_id == conversation.id))
            await session.delete(conversation)

    async def thread(self, identity: Identity, conversation_id: uuid.UUID) -> Thread:
        async with self.sessions() as session:
            return await load_view(session, identity, conversation_id)

    async def import_many(self, identity: Identity, conversations: list[ImportedConversation]) -> Imported:
        """Conversations a browser kept before they lived here: each becomes one branch, as it was. The rows go in
        batches of many (conversations, messages, then each conversation's last message), not a statement a
        row: that way an import of 20,000 messages took 7-17 s and held other users' lists up while it ran."""
        now = utcnow()
        rows: list[dict[str, object]] = []
        heads: list[dict[str, object]] = []
        leaves: list[dict[str, object]] = []
        created: list[ConversationView] = []
        for imported in conversations:
            conversation_id = uuid.uuid4()
            title = imported.title.strip() or "Imported chat"
            heads.append(
                {
                    "id": conversation_id,
                    "user_id": identity.user_id,
                    "title": title,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            created.append(
                ConversationView(id=conversation_id, title=title, created_at=now, updated_at=now, tools_enabled=True)
            )
            parent: uuid.UUID | None = None
            for message in imported.messages:
                ident = uuid.uuid4()
                # A microsecond apart, in their order: a branch's messages are ordered by when they were written.
                moment = now + timedelta(microseconds=len(rows))
                rows.append(
                    {
                        "id": ident,
                        "conversation_id": conversation_id,
                        "parent_id": parent,
                        "role": message.role,
                        "content": message.content,
                        "status": MessageStatus.STOPPED
                        if message.status == MessageStatus.STREAMING
                        else message.status,
                        "created_at": moment,
                        "updated_at": moment,
                    }
                )
                parent = ident
            if parent is not None:
                leaves.append({"id": conversation_id, "current_leaf_id": parent})
        async with self.sessions.begin() as session:
            if heads:
                await session.execute(insert(Conversation), heads)
            if rows:
                await session.execute(insert(Message), rows)
            if leaves:
                await session.execute(update(Conversation), leaves)
        return Imported(conversations=created)

    async def messages(
        self, identity: Identity, conversation_id: uuid.UUID, before: uuid.UUID | None, limit: int
    ) -> MessagePage:
        async with self.sessions() as session:
            thread = await load_view(session, identity, conversation_id)
        return self._page(thread, thread.tree.branch(thread.conversation.current_leaf_id), before, limit)

    def detail_of(self, thread: Thread) -> ConversationDetail:
        return self._detail(thread, thread.conversation.current_leaf_id)

    def _detail(self, thread: Thread, leaf: uuid.UUID | None) -> ConversationDetail:
        branch = thread.tree.branch(leaf)
        page = self._page(thread, branch, None, LAST_MESSAGES)
        summary = summaries.covering_most(thread.summaries, branch)
        return ConversationDetail(
            **conversation_view(thread.conversation).model_dump(),
            messages=page,
            summary=SummaryView.model_validate(summary, from_attributes=True) if summary is not None else None,
        )

    @staticmethod
    def _page(thread: Thread, branch: list[uuid.UUID], before: uuid.UUID | None, limit: int) -> MessagePage:
        end = len(branch)
        if before is not None:
            if before not in branch:
                raise ApiError(404, "not_found", "No such message in the branch shown.")
            end = branch.index(before)
        start = max(0, end - limit)
        return MessagePage(
            items=[thread.view(ident) for ident in branch[start:end]],
            earlier=branch[start] if start > 0 else None,
        )
