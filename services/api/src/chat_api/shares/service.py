"""Share links: made and revoked by the conversation's owner, read by anyone who holds one.

A viewer's look-up is the same work whatever the token (unknown, revoked, guessed, malformed): its hash, then
one indexed read. So every refusal is the same 404, in the same time, and says nothing of which it was."""

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select

from chat_api.auth.tokens import Identity
from chat_api.chat.parts import public_parts
from chat_api.conversations.service import load_thread
from chat_api.http.errors import ApiError
from chat_api.shares.schemas import ShareCreated, SharedConversation, SharedMessage, SharePage, ShareView
from chat_api.shares.tokens import hash_token, new_token
from chat_api.storage.engine import Sessions
from chat_api.storage.models import Message, MessageStatus, Share, utcnow
from chat_api.storage.paging import newest_first, page_of


def share_view(share: Share) -> ShareView:
    return ShareView(
        id=share.id,
        conversation_id=share.conversation_id,
        title=share.title,
        message_count=share.message_count,
        created_at=share.created_at,
    )


def snapshot_of(title: str, branch: Sequence[Message]) -> SharedConversation:
    if any(message.status == MessageStatus.STREAMING for message in branch):
        raise ApiError(409, "conflict", "An answer in this branch is still being written: share it once it ends.")
    return SharedConversation(
        title=title,
        shared_at=utcnow(),
        messages=[
            SharedMessage(
                role=m.role, content=m.content, parts=public_parts(m.parts), status=m.status, created_at=m.created_at
            )
            for m in branch
        ],
    )


class ShareService:
    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions

    async def create(self, identity: Identity, conversation_id: uuid.UUID, leaf_id: uuid.UUID) -> ShareCreated:
        async with self.sessions.begin() as session:
            thread = await load_thread(session, identity, conversation_id, with_summaries=False)
            if leaf_id not in thread.tree:
                raise ApiError(404, "not_found", "No such message in this conversation.")
            snapshot = snapshot_of(thread.conversation.title, thread.branch_messages(leaf_id))
            token = new_token()
            share = Share(
                token_hash=hash_token(token),
                user_id=identity.user_id,
                conversation_id=conversation_id,
                leaf_message_id=leaf_id,
                title=snapshot.title,
                message_count=len(snapshot.messages),
                snapshot=snapshot.model_dump_json(),
                created_at=snapshot.shared_at,
            )
            session.add(share)
        return ShareCreated(**share_view(share).model_dump(), token=token)

    async def page(
        self, identity: Identity, conversation_id: uuid.UUID | None, cursor: str | None, limit: int
    ) -> SharePage:
        mine = select(Share).where(Share.user_id == identity.user_id)
        if conversation_id is not None:
            mine = mine.where(Share.conversation_id == conversation_id)
        query = newest_first(mine, Share.created_at, Share.id, cursor, limit)
        async with self.sessions() as session:
            rows = (await session.scalars(query)).all()
        items, next_cursor = page_of(rows, limit, lambda row: (row.created_at, row.id))
        return SharePage(items=[share_view(row) for row in items], next_cursor=next_cursor)

    async def revoke(self, identity: Identity, share_id: uuid.UUID) -> None:
        """Gone at once: the next viewer gets the 404 of a link that never was."""
        async with self.sessions.begin() as session:
            gone = await session.scalar(
                delete(Share).where(Share.id == share_id, Share.user_id == identity.user_id).returning(Share.id)
            )
        if gone is None:
            raise ApiError(404, "not_found", "No such share link.")

    async def shared(self, token: str) -> SharedConversation | None:
        async with self.sessions.autocommit() as session:
            snapshot = await session.scalar(select(Share.snapshot).where(Share.token_hash == hash_token(token)))
        return None if snapshot is None else SharedConversation.model_validate_json(snapshot)
