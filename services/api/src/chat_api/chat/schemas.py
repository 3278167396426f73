"""The chat request: the message, the history and the options (the events' payloads are `chat.events`)."""

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr

from chat_api.chat.images import ImageInput

Role = Literal["user", "assistant", "system"]
FinishReason = Literal["stop", "length", "content_filter", "cancelled"]
ReasoningEffort = Literal["low", "medium", "high"]


def _integral_float_to_int(value: object) -> object:
    """JSON Schema counts 1.0 as an integer, so we do too; 1.5, "1" and true stay invalid."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


PositiveJsonInt = Annotated[int, Field(ge=1), BeforeValidator(_integral_float_to_int)]


# Strict: a field takes its own JSON type only ("0.5" or false is not a temperature). Extra fields are refused.
class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    role: Role
    content: str
    # A conversation's earlier answer that called tools: its stored parts, sent back to the model as it made
    # them. Set by the server only (never read from a request).
    _parts: Sequence[Mapping[str, Any]] | None = PrivateAttr(default=None)
    # A conversation's user message with images: they go to the model with it. Set by the server only.
    _images: tuple[ImageInput, ...] = PrivateAttr(default=())

    @classmethod
    def answered(cls, content: str, parts: Sequence[Mapping[str, Any]] | None) -> "Message":
        message = cls(role="assistant", content=content)
        message._parts = parts
        return message

    @classmethod
    def asked(cls, content: str, images: tuple[ImageInput, ...]) -> "Message":
        message = cls(role="user", content=content)
        message._images = images
        return message

    @property
    def parts(self) -> Sequence[Mapping[str, Any]] | None:
        return self._parts

    @property
    def images(self) -> tuple[ImageInput, ...]:
        return self._images

    def with_images(self, images: tuple[ImageInput, ...]) -> "Message":
        changed = self.model_copy()
        changed._images = images
        return changed


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)  # Python's json takes NaN
    max_tokens: PositiveJsonInt | None = Field(
        None, description="Upper bound of the answer's length in tokens (a reasoning model's reasoning included)."
    )
    temperature: float | None = Field(None, ge=0, le=2, description="Not for a reasoning model (GET /api/models).")
    top_p: float | None = Field(None, gt=0, le=1, description="Not for a reasoning model (GET /api/models).")
    reasoning_effort: ReasoningEffort | None = Field(
        None, description="A reasoning model only: how much it reasons before answering. Unset: the default."
    )


class ChatRequest(BaseModel):
    """Limits on lengths are enforced against settings by the route (they are configurable)."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "message": "What is streaming?",
                    "history": [
                        {"role": "user", "content": "Hi"},
                        {"role": "assistant", "content": "Hello!"},
                    ],
                    "options": {"max_tokens": 512, "temperature": 0.2, "top_p": 1.0},
                }
            ]
        },
    )
    message: str = Field(min_length=1)
    history: list[Message] = Field(default_factory=list)
    options: Options = Field(default_factory=Options)
    model: str | None = Field(
        None, min_length=1, max_length=100, description="An id of `GET /api/models`; unset: the default model."
    )
    # The images a conversation's message carries (the stateless routes take none). Set by the server only.
    _images: tuple[ImageInput, ...] = PrivateAttr(default=())

    @property
    def images(self) -> tuple[ImageInput, ...]:
        return self._images

    def with_images(self, images: tuple[ImageInput, ...]) -> "ChatRequest":
        changed = self.model_copy()
        changed._images = images
        return changed
