"""A saved answer's parts, in order: its text and the tools it called between, so that any device rebuilds the
same answer, and later turns send the calls back to the model as it made them. (`content` keeps the text alone,
for search, export and the model's history when tools are off.) The stored form of a result also keeps what
the model was given (`output`, see `generations.transcript`), which clients are never sent."""

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, Field, TypeAdapter
from semantic_kernel.contents import (
    AuthorRole,
    ChatMessageContent,
    FunctionCallContent,
    FunctionResultContent,
    TextContent,
)

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


class CitationPart(BaseModel):
    """A passage the answer cites as `[number]` (the `citation` event, kept)."""

    type: Literal["citation"] = "citation"
    number: int
    file_id: str
    file: str
    page: int | None
    section: str | None
    text: str


Part = Annotated[TextPart | ToolCallPart | ToolResultPart | CitationPart, Field(discriminator="type")]


PARTS: Final[TypeAdapter[list[Part]]] = TypeAdapter(list[Part])


def public_parts(stored: list[dict[str, Any]] | None) -> list[Part] | None:
    """Saved parts as clients get them (a result's `output` left out)."""
    return PARTS.validate_python(stored) if stored else None


NOT_MADE: Final = "The call was not made."
StoredParts = Sequence[Mapping[str, Any]]


def steps_of(parts: StoredParts) -> list[ChatMessageContent]:
    """An answer's stored parts as the model is sent them back: each round its message (its text and calls), then
    one `tool` message per call with what the tool returned; the text after the last round, its own message."""
    messages: list[ChatMessageContent] = []
    text: list[str] = []
    calls: list[Mapping[str, Any]] = []
    results: dict[str, str] = {}

    def close_round() -> None:
        if not calls:
            return
        items: list[Any] = [TextContent(text="".join(text))] if text else []
        items += [FunctionCallContent(id=c["call_id"], name=c["tool"], arguments=c["arguments"]) for c in calls]
        messages.append(ChatMessageContent(role=AuthorRole.ASSISTANT, items=items))
        for call in calls:
            result = results.get(call["call_id"], NOT_MADE)
            content = FunctionResultContent(id=call["call_id"], name=call["tool"], result=result)
            messages.append(ChatMessageContent(role=AuthorRole.TOOL, items=[content]))
        text.clear()
        calls.clear()
        results.clear()

    for part in parts:
        kind = part.get("type")
        if kind == "text":
            if calls and results:  # text after a round's results starts the next message
                close_round()
            text.append(str(part.get("text", "")))
        elif kind == "tool_call":
            if results:
                close_round()
            calls.append(part)
        elif kind == "tool_result":
            results[str(part.get("call_id"))] = str(part.get("output", part.get("preview", "")))
    close_round()
    if text:
        messages.append(ChatMessageContent(role=AuthorRole.ASSISTANT, content="".join(text)))
    return messages


def parts_text(parts: StoredParts) -> str:
    """What of an answer's parts the model reads, as one text (for the token estimate)."""
    pieces = []
    for part in parts:
        kind = part.get("type")
        if kind == "text":
            pieces.append(str(part.get("text", "")))
        elif kind == "tool_call":
            pieces.append(f"{part.get('tool', '')} {part.get('arguments', '')}")
        elif kind == "tool_result":
            pieces.append(str(part.get("output", part.get("preview", ""))))
    return "\n".join(pieces)
