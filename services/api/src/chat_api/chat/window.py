"""What fits: the history's token budget under the context window, and the newest turns within a budget (memory
chooses what the model sees with these; the chat core cuts a refused prompt with them)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from chat_api.chat.images import ImageInput, images_tokens
from chat_api.chat.parts import StoredParts, parts_text
from chat_api.chat.tokens import message_tokens

# The estimate's error (see chat.tokens) must never push a prompt past the window: plan for this share of it.
ESTIMATE_MARGIN: Final = 0.2
# Once older turns have to go, keep only the newest that fill this share of the budget, so that the summary
# then holds for several turns rather than being redone at every one.
KEPT_AFTER_SUMMARY: Final = 0.5


@dataclass(frozen=True, slots=True)
class Turn:
    """One message of the history, as memory sees it; `id` is None for a stateless client's history."""

    id: uuid.UUID | None
    role: Literal["user", "assistant", "system"]
    content: str
    parts: StoredParts | None = None  # an answer that called tools: its text, calls and results, in order
    images: tuple[ImageInput, ...] = ()  # a user message's images (not loaded: their sizes say their tokens)

    @property
    def tokens(self) -> int:
        """About what the turn takes of the prompt: a question's images too; an answer with tools, its calls and
        their results too (each round is a message and a message per call)."""
        if not self.parts:
            return message_tokens(self.content) + images_tokens(self.images)
        messages = 1 + sum(1 for part in self.parts if part.get("type") != "text")
        return message_tokens(parts_text(self.parts)) + (messages - 1) * message_tokens("")


def history_budget(context_window: int, max_tokens: int, fixed: Sequence[str]) -> int:
    """Tokens the history may take: the window less the answer's room, the `fixed` messages (system prompt,
    the new message) and the estimate's margin. Never below zero."""
    usable = int(context_window * (1 - ESTIMATE_MARGIN)) - max_tokens
    return max(0, usable - sum(message_tokens(text) for text in fixed))


def newest_that_fit(turns: Sequence[Turn], budget: int) -> int:
    """The index of the first turn kept: from there to the end, the turns fit in `budget`."""
    used = 0
    for index in range(len(turns) - 1, -1, -1):
        used += turns[index].tokens
        if used > budget:
            return index + 1
    return 0


def nears(history: int, turns: Sequence[Turn], budget: int) -> bool:
    """After an answer: a `history` of so many tokens nears the window if another exchange as long as the last
    two turns would not fit beside it. Its older turns are summarised then, so that the next sends find the
    summary stored rather than losing turns to truncation."""
    return history + tokens_of(turns[-2:]) > budget


def tokens_of(turns: Sequence[Turn]) -> int:
    return sum(turn.tokens for turn in turns)
