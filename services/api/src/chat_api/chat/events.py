"""An answer's events: one vocabulary from the model's reader to the event log to the wire.

Each kind is one frozen dataclass whose fields are its payload on the wire (`chat.wire` names it and encodes
it; the OpenAPI document describes it from the type). Adding a kind is: its type here, its line in
`wire.EVENT_NAMES`, its handler in the UI.
"""

from dataclasses import dataclass
from typing import Literal

from chat_api.chat.parts import Part, ToolStatus
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
class ToolCall:
    """The model calls a tool. While its arguments stream (`complete` false), `arguments` is their next fragment,
    to append; the round's calls may interleave, each by its `call_id`. Then once, `complete` true, with all of
    them (the JSON text the tool is called with)."""

    call_id: str
    tool: str  # the name the model called: the plugin, a dash, the function ("builtin-current_time")
    arguments: str
    complete: bool


@dataclass(frozen=True, slots=True)
class ApprovalRequired:
    """The call acts (it saves or sends something for the user): the answer waits for the user's decision
    (`POST /api/generations/{id}/approvals`) until `expires_at`, then takes it as denied."""

    call_id: str
    tool: str
    arguments: str
    expires_at: str  # ISO 8601, UTC


Decision = Literal["allow_once", "allow_conversation", "deny"]


@dataclass(frozen=True, slots=True)
class ApprovalDecided:
    """The prompt for this call is answered (from any tab or device), or its time ran out (`timeout`)."""

    call_id: str
    decision: Decision | Literal["timeout"]


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A call's end: `preview` is the start of what the tool returned (the model gets more, up to
    TOOL_OUTPUT_MAX_TOKENS), or for any other status a plain sentence saying why."""

    call_id: str
    tool: str
    status: ToolStatus
    preview: str
    duration_ms: int


@dataclass(frozen=True, slots=True)
class Citation:
    """The answer cites passage `number` (its text says `[number]`): sent once, before the text that cites it,
    with the passage as the model was given it."""

    number: int
    file_id: str
    file: str
    page: int | None
    section: str | None
    text: str


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
    parts: list[Part] | None = None  # in order, when the answer called tools (else `content` is all of it)


AnswerEvent = (
    Start
    | TextDelta
    | ToolCall
    | ApprovalRequired
    | ApprovalDecided
    | ToolResult
    | Citation
    | TokenUsage
    | Finished
    | Failed
    | Snapshot
)
TERMINAL = (Finished, Failed)  # the events that end an answer
