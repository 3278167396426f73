"""The wire form of an answer's events: each kind's name, its payload encoded once, and the two encoders of a
stream (server-sent events, and plain text for `/api/chat/stream`)."""

import dataclasses
from dataclasses import dataclass
from typing import Final, Protocol

import orjson
from pydantic import TypeAdapter

from chat_api.chat.events import (
    TERMINAL,
    AnswerEvent,
    ApprovalDecided,
    ApprovalRequired,
    Citation,
    Failed,
    Finished,
    Snapshot,
    Start,
    TextDelta,
    TokenUsage,
    ToolCall,
    ToolResult,
)

# Every kind of event and its name on the wire: a new kind is a new line here (the OpenAPI document, the log's
# decoding and the SSE encoder all read this table).
EVENT_NAMES: Final[dict[type[AnswerEvent], str]] = {
    Start: "start",
    TextDelta: "delta",
    ToolCall: "tool_call",
    ApprovalRequired: "approval_required",
    ApprovalDecided: "approval_decided",
    ToolResult: "tool_result",
    Citation: "citation",
    TokenUsage: "usage",
    Finished: "done",
    Failed: "error",
    Snapshot: "snapshot",
}
EVENT_TYPES: Final = {name: kind for kind, name in EVENT_NAMES.items()}
_DECODERS: Final = {name: TypeAdapter(kind) for name, kind in EVENT_TYPES.items()}
HEARTBEAT: Final = b": keep-alive\n\n"  # an SSE comment, so that proxies keep a silent connection open


def payload(event: AnswerEvent) -> bytes:
    """An event's `data`: its fields as JSON (a start leaves out the ids it does not have)."""
    if isinstance(event, Start):
        return orjson.dumps({k: v for k, v in dataclasses.asdict(event).items() if v is not None})
    return orjson.dumps(event)


def decode(name: str, data: bytes) -> AnswerEvent:
    """An event from its name and payload (as another process logged it)."""
    event: AnswerEvent = _DECODERS[name].validate_json(data)
    return event


@dataclass(frozen=True, slots=True)
class EncodedEvent:
    """An event with its payload encoded once, and its id in the answer's event log ('' when it has none)."""

    event: AnswerEvent
    data: bytes
    id: str = ""

    @classmethod
    def of(cls, event: AnswerEvent, event_id: str = "") -> "EncodedEvent":
        return cls(event, payload(event), event_id)

    @property
    def name(self) -> str:
        return EVENT_NAMES[type(self.event)]

    @property
    def terminal(self) -> bool:
        return isinstance(self.event, TERMINAL)


class Encoder(Protocol):
    media_type: str
    heartbeat: bytes | None  # written when the stream has been silent for a while (None: never)

    def encode(self, batch: list[EncodedEvent]) -> tuple[bytes, bool]:
        """The bytes for a batch of events, and whether the stream must end abnormally after them."""
        ...


class ServerSentEvents:
    """`text/event-stream`: each event with its name, its JSON payload, and its id when it has one."""

    media_type = "text/event-stream; charset=utf-8"
    heartbeat: bytes | None = HEARTBEAT

    def encode(self, batch: list[EncodedEvent]) -> tuple[bytes, bool]:
        return b"".join(frame(event) for event in batch), False


def frame(event: EncodedEvent) -> bytes:
    head = b"id: " + event.id.encode() + b"\nevent: " if event.id else b"event: "
    return head + EVENT_NAMES[type(event.event)].encode() + b"\ndata: " + event.data + b"\n\n"


class PlainText:
    """`text/plain`: only the answer's text. A failure after the first token cuts the body short."""

    media_type = "text/plain; charset=utf-8"
    heartbeat: bytes | None = None

    def encode(self, batch: list[EncodedEvent]) -> tuple[bytes, bool]:
        parts: list[bytes] = []
        for encoded in batch:
            event = encoded.event
            if isinstance(event, TextDelta):
                parts.append(event.text.encode())
            elif isinstance(event, Failed):
                return b"".join(parts), True
        return b"".join(parts), False
