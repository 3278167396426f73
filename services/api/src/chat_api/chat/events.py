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
    completion_tokens: int  # a reasoning model's reasoning tokens included (they are paid for as answer tokens)
    total_tokens: int
    reasoning_tokens: int = 0

    def payload(self) -> dict[str, int]:
        """The `usage` event's data."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "reasoning_tokens": self.reasoning_tokens,
        }


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
