"""The message list every chat template accepts: ONE system message first (the system prompt, then any
summary and a client's system entries), then turns that alternate user, assistant, ..., ending with the user.

Strict templates (Gemma's, Llama 2's, Mistral's) refuse anything else ("Conversation roles must alternate")
and lenient ones silently drop what they cannot place, so what cannot alternate is fixed here: a leading
assistant turn (what truncation left of an exchange) is dropped, and two turns in a row from one side (a
question whose answer failed with no text, then the next one) are merged into one."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from chat_api.chat.images import ImageInput
from chat_api.chat.parts import StoredParts
from chat_api.chat.schemas import Message

TurnRole = Literal["user", "assistant"]


class PromptTurn(NamedTuple):
    role: TurnRole
    content: str
    parts: StoredParts | None = None  # an answer that called tools (see chat.parts.steps_of)
    images: tuple[ImageInput, ...] = ()  # a question's images


@dataclass(frozen=True, slots=True)
class Prompt:
    system: str
    turns: list[PromptTurn]  # alternating, the first and the last from the user


def alternating(
    system_prompt: str, history: Sequence[Message], message: str, images: tuple[ImageInput, ...] = ()
) -> Prompt:
    """`history` (oldest first) and the new `message` (with its `images`), as one system message and alternating
    turns."""
    system = [system_prompt] if system_prompt.strip() else []
    turns: list[PromptTurn] = []
    for entry in (*history, Message.asked(message, images)):
        if entry.role == "system":
            system.append(entry.content)
        elif not turns and entry.role == "assistant":
            continue  # the model would read it as its own words before any question
        elif turns and turns[-1].role == entry.role:
            turns[-1] = _merged(turns[-1], PromptTurn(entry.role, entry.content, entry.parts, entry.images))
        else:
            turns.append(PromptTurn(entry.role, entry.content, entry.parts, entry.images))
    return Prompt("\n\n".join(system), turns)


def _merged(first: PromptTurn, second: PromptTurn) -> PromptTurn:
    content = f"{first.content}\n\n{second.content}"
    if first.parts is None and second.parts is None:
        return PromptTurn(first.role, content, None, (*first.images, *second.images))
    parts = [*_as_parts(first), {"type": "text", "text": "\n\n"}, *_as_parts(second)]
    return PromptTurn(first.role, content, parts)


def _as_parts(turn: PromptTurn) -> StoredParts:
    return turn.parts if turn.parts is not None else [{"type": "text", "text": turn.content}]
