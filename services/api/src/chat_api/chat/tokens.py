"""Token counts before the model says: an estimate, three characters a token and a few tokens a message for
the chat format. No tokenizer runs here (their data files would be a download at run time); the model's own
count settles what was spent. Three, not the four of English prose, because answers carry code, tables and
other scripts, which take more tokens a character: against the emulator's count (tests/test_memory.py) the
estimate runs from a few percent under to about a third over, and memory keeps a margin for the first."""

from collections.abc import Iterable
from typing import Final

CHARS_PER_TOKEN: Final = 3
TOKENS_PER_MESSAGE: Final = 4


def text_tokens(text: str) -> int:
    return -(-len(text) // CHARS_PER_TOKEN)


def message_tokens(text: str) -> int:
    return text_tokens(text) + TOKENS_PER_MESSAGE


def messages_tokens(texts: Iterable[str]) -> int:
    return sum(message_tokens(text) for text in texts)
