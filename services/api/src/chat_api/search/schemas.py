"""What a search returns."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class SnippetPart(BaseModel):
    text: str
    match: bool = Field(description="A word the query matched: show it highlighted. Plain text either way, never HTML.")


class SearchHit(BaseModel):
    conversation_id: uuid.UUID
    title: str
    message_id: uuid.UUID | None = Field(description="The message matched; null when the title matched.")
    role: Literal["user", "assistant"] | None = Field(description="The message's author; null for a title.")
    snippet: list[SnippetPart] = Field(description="The matched text around the query's words, in order.")
    rank: float = Field(description="Higher is better; comparable within one search only.")
    at: datetime = Field(description="When the message was written; for a title, the conversation's last activity.")


class SearchPage(BaseModel):
    items: list[SearchHit]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


def link_to(hit: SearchHit) -> str:
    """Where the UI opens a hit: the conversation, at the message when one matched."""
    if hit.message_id is None:
        return f"/c/{hit.conversation_id}"
    return f"/c/{hit.conversation_id}?message={hit.message_id}"
