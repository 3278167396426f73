"""A conversation to take away: Markdown (the branch shown, to read) or JSON (every message of the tree)."""

import re
from datetime import UTC, datetime
from typing import Any

import orjson

from chat_api.conversations.schemas import ConversationView, MessageView
from chat_api.conversations.service import Thread, conversation_view
from chat_api.storage.models import MessageStatus

SPEAKERS = {"user": "You", "assistant": "Assistant"}
NOTES = {
    MessageStatus.STOPPED: "*(stopped)*",
    MessageStatus.ERROR: "*(failed: {error})*",
    MessageStatus.INTERRUPTED: "*(interrupted)*",
    MessageStatus.STREAMING: "*(still being written)*",
}


def filename(title: str, extension: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:60] or "conversation"
    return f"{slug}.{extension}"


def branch_of(thread: Thread) -> list[MessageView]:
    """The whole branch shown (all of it, not a page)."""
    return [thread.view(ident) for ident in thread.tree.branch(thread.conversation.current_leaf_id)]


def as_markdown(conversation: ConversationView, branch: list[MessageView]) -> str:
    lines = [f"# {conversation.title}", "", f"*Exported {datetime.now(UTC):%Y-%m-%d %H:%M} UTC*", ""]
    for message in branch:
        lines += [f"## {SPEAKERS[message.role]}", "", message.content, ""]
        note = NOTES.get(message.status)
        if note:
            lines += [note.format(error=message.error.message if message.error else "unknown"), ""]
    return "\n".join(lines)


def as_json(thread: Thread, branch: list[MessageView]) -> bytes:
    every: list[dict[str, Any]] = [thread.view(ident).model_dump(mode="json") for ident in thread.tree.in_order()]
    document = {
        **conversation_view(thread.conversation).model_dump(mode="json"),
        "branch": [str(message.id) for message in branch],
        "messages": every,
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2)
