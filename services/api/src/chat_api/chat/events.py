"""What a chat stream is made of: the events the reader produces and the relay encodes."""

from dataclasses import dataclass
from typing import Final

from chat_api.chat.schemas import FinishReason
from chat_api.http.errors import ApiError


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class TokenUsage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


@dataclass(frozen=True, slots=True)
class Finished:
    reason: FinishReason


@dataclass(frozen=True, slots=True)
class Failed:
    """The upstream failed after the first token: the stream can only say so and end."""

    error: ApiError


class Heartbeat:
    """The upstream has been silent for a while (SSE sends a comment so proxies keep the connection)."""


HEARTBEAT: Final = Heartbeat()
UpstreamEvent = TextDelta | TokenUsage | Finished | Heartbeat
StreamEvent = UpstreamEvent | Failed
