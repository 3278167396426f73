"""Who a tool works for. The runner sets the request's context (its user, its conversation, the services the
tools use) around the model's rounds; a tool reads it with `current()`. It never comes from the model: nothing
the model sends as arguments can reach it. Semantic Kernel runs the tools of a round in tasks it starts from
there, and each task starts with a copy of the context, so every call of the answer sees the same one."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from chat_api.auth.tokens import Identity
from chat_api.chat.citations import Sources
from chat_api.documents.retrieval import DocumentSearch
from chat_api.search.service import SearchService
from chat_api.settings import Settings
from chat_api.storage.engine import Sessions
from chat_api.tools.errors import ToolError
from chat_api.user_memories.service import UserMemories


@dataclass(frozen=True)
class ToolServices:
    """What the built-in tools use, built once per worker."""

    search: SearchService
    memories: UserMemories
    documents: DocumentSearch | None = None  # None: documents are off on this server

    @classmethod
    def create(cls, sessions: Sessions, settings: Settings) -> "ToolServices":
        return cls(SearchService(sessions), UserMemories(sessions, settings.MEMORIES_MAX_PER_USER))


@dataclass(frozen=True)
class ToolContext:
    identity: Identity
    conversation_id: uuid.UUID | None
    services: ToolServices
    sources: Sources = field(default_factory=Sources)  # the answer's: passages keep one number across its calls

    @property
    def user_id(self) -> uuid.UUID:
        return self.identity.user_id


_current: ContextVar[ToolContext] = ContextVar("tool_context")


@contextmanager
def acting_for(context: ToolContext) -> Iterator[ToolContext]:
    """Run the tools called inside this block for `context`'s user."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def current() -> ToolContext:
    """The request's context; a tool called outside any request (no user) refuses."""
    try:
        return _current.get()
    except LookupError:
        raise ToolError("This tool works only inside a conversation.") from None
