"""A saved answer's parts, in order: its text and the tools it called between, so that any device rebuilds the
same answer, and later turns send the calls back to the model as it made them. (`content` keeps the text alone,
for search, export and the model's history when tools are off.) The stored form of a result also keeps what
the model was given (`output`, see `generations.transcript`), which clients are never sent."""

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, Field, TypeAdapter

ToolStatus = Literal["ok", "error", "denied", "cancelled", "timeout"]


class TextPart(BaseModel):
    type: Literal["text"] = "text"
    text: str


class ToolCallPart(BaseModel):
    type: Literal["tool_call"] = "tool_call"
    call_id: str
    tool: str
    arguments: str


class ToolResultPart(BaseModel):
    type: Literal["tool_result"] = "tool_result"
    call_id: str
    tool: str
    status: ToolStatus
    preview: str
    duration_ms: int


Part = Annotated[TextPart | ToolCallPart | ToolResultPart, Field(discriminator="type")]


PARTS: Final[TypeAdapter[list[Part]]] = TypeAdapter(list[Part])


def public_parts(stored: list[dict[str, Any]] | None) -> list[Part] | None:
    """Saved parts as clients get them (a result's `output` left out)."""
    return PARTS.validate_python(stored) if stored else None
