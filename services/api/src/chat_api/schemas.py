"""The HTTP contract's bodies: the chat request, the error envelope, and the SSE event payloads."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["user", "assistant", "system"]
FinishReason = Literal["stop", "length", "content_filter", "cancelled"]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    content: str


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_tokens: int | None = Field(None, ge=1, description="Upper bound of the answer's length in tokens.")
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)


class ChatRequest(BaseModel):
    """Limits on lengths are enforced against settings by the route (they are configurable)."""

    model_config = ConfigDict(
        extra="forbid",
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


class ErrorDetail(BaseModel):
    code: str = Field(examples=["invalid_request"])
    message: str = Field(examples=["message: must not be empty"])


class ErrorEnvelope(BaseModel):
    error: ErrorDetail


# --- SSE event payloads (POST /api/chat/events) ---------------------------------------------------------


class StartEvent(BaseModel):
    request_id: str
    model: str


class DeltaEvent(BaseModel):
    text: str


class UsageEvent(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class DoneEvent(BaseModel):
    finish_reason: FinishReason


class ErrorEvent(ErrorDetail):
    pass
