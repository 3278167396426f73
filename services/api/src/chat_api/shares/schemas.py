"""The share routes' bodies, and the snapshot a link shows (stored as this JSON document, so it can grow)."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from chat_api.chat.parts import Part
from chat_api.conversations.schemas import JsonUuid, Strict
from chat_api.storage.models import MessageStatus


class NewShare(Strict):
    message_id: JsonUuid = Field(
        description="The last message of the branch to share: the link shows the conversation from its first "
        "message to this one, as it is now (later messages, edits and renames do not reach it)."
    )


class ShareView(BaseModel):
    id: uuid.UUID = Field(description="The link's id for its owner (to revoke it); not the link itself.")
    conversation_id: uuid.UUID
    title: str
    message_count: int
    created_at: datetime


class ShareCreated(ShareView):
    token: str = Field(
        description="The link: viewers read it at GET /api/shared/{token}. Shown this once: only its hash is kept."
    )


class SharePage(BaseModel):
    items: list[ShareView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page; null at the end.")


class SharedMessage(BaseModel):
    role: Literal["user", "assistant"]
    content: str
    parts: list[Part] | None = Field(
        None, description="An answer that called tools: its text, calls and results, in order. Null: `content`."
    )
    status: Literal[MessageStatus.DONE, MessageStatus.STOPPED, MessageStatus.ERROR, MessageStatus.INTERRUPTED]
    created_at: datetime


class SharedConversation(BaseModel):
    """What a link shows: one branch of a conversation, as it was when shared."""

    version: Literal[1] = Field(1, description="The snapshot's format; later ones may add fields.")
    title: str
    shared_at: datetime
    messages: list[SharedMessage] = Field(description="The branch, oldest first.")
