"""An answer's events: one vocabulary from the model's reader to the event log to the wire.

Each kind is one frozen dataclass whose fields are its payload on the wire (`chat.wire` names it and encodes
it; the OpenAPI document describes it from the type). Adding a kind (round 3: `tool_call`, `tool_result`,
`approval_required`, `citation`) is: its type here, its line in `wire.EVENT_NAMES`, its handler in the UI.
"""

from dataclasses import dataclass

from chat_api.chat.schemas import FinishReason
from chat_api.http.errors import ApiError
from chat_api.storage.models import MessageStatus


@dataclass(frozen=True, slots=True)
class Start:
    """The answer has begun: sent before the model's first token. The conversation routes add the ids of the
    messages it belongs to (left out of the stateless routes' payload)."""

    request_id: str
    model: str
    conversation_id: str | None = None
    user_message_id: str | None = None
    assistant_message_id: str | None = None


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """What the model counted for this answer (its `usage` event)."""

    prompt_tokens: int
    completion_tokens: int  # a reasoning model's reasoning tokens included (they are paid for as answer tokens)
    total_tokens: int
    reasoning_tokens: int = 0  # of completion_tokens, those the model spent reasoning


@dataclass(frozen=True, slots=True)
class Finished:
    finish_reason: FinishReason


@dataclass(frozen=True, slots=True)
class Failed:
    """The answer failed and the stream ends (a failure before the first token too, on the conversation routes):
    the codes of the error statuses (`upstream_*` mostly), and `upstream_incomplete` when the model's stream
    ended without a finish reason (empty, or cut short)."""

    code: str
    message: str

    @classmethod
    def of(cls, error: ApiError) -> "Failed":
        return cls(error.code, error.message)


@dataclass(frozen=True, slots=True)
class SavedUsage:
    """A saved answer's token counts (null where the model never said)."""

    prompt_tokens: int | None
    completion_tokens: int | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The whole answer as the database has it, when its events can no longer be replayed: the reader replaces
    what it shows with this."""

    assistant_message_id: str
    content: str
    status: MessageStatus
    finish_reason: str | None
    usage: SavedUsage | None
    error: Failed | None


AnswerEvent = Start | TextDelta | TokenUsage | Finished | Failed | Snapshot
TERMINAL = (Finished, Failed)  # the events that end an answer
