"""Deterministic replies: the same conversation always gets the same answer.

Every reply carries real markdown (a heading, a list, a fenced code block, a table) and non-ASCII text
(accents, CJK, an emoji), so that a UI's rendering and a relay's UTF-8 handling are exercised by every
ordinary chat, not only by special tests.
"""

import hashlib
import random
import re
from collections.abc import Sequence
from typing import Literal

from emulator.tokens import tokenize

_OPENINGS = (
    "Here is a short, structured answer about **{topic}**.",
    "Good question. Let me walk through **{topic}** step by step.",
    "Sure! This is what I can tell you about **{topic}**.",
)
_POINTS = (
    "Streaming sends each token as soon as it exists, so the first words appear at once.",
    "A relay in the middle should add almost nothing: no buffering, no per-token work it can skip.",
    "Cancelling a request early saves the tokens nobody will read.",
    "Errors before the first token can still change the HTTP status; after it, only the stream can tell.",
    "Retries belong before the first token: after it, the user has already seen part of an answer.",
    "A reply's length is bounded by `max_tokens`; when it is reached the finish reason is `length`.",
)
_CODE_SAMPLES = (
    (
        "python",
        'def greet(name: str) -> str:\n    return f"Grüß Gott, {name}! 👋"\n\nprint(greet("Zoë"))',
    ),
    (
        "typescript",
        "const greet = (name: string): string => `¡Hola, ${name}! 🎉`;\nconsole.log(greet('Ana'));",
    ),
    ("bash", 'curl -N -X POST http://localhost:8080/api/chat/stream \\\n  -d \'{"message": "héllo"}\''),
)
_FILLER_WORDS = [
    "tokens",
    "arrive",
    "one",
    "by",
    "one",
    "while",
    "the",
    "reader",
    "keeps",
    "pace",
    "and",
    "the",
    "relay",
    "stays",
    "out",
    "of",
    "the",
    "way",
    "so",
    "the",
    "answer",
    "grows",
    "smoothly",
    "across",
    "the",
    "page",
    "without",
    "pauses",
    "or",
    "sudden",
    "bursts",
    "of",
    "text",
]


Padding = Literal["words", "replies"]


def reply_tokens(
    conversation: list[str],
    last_user_text: str,
    length: int | None = None,
    limit: int | None = None,
    padding: Padding = "words",
) -> list[str]:
    """The assistant's reply to a conversation as tokens, optionally padded or cut to exactly ``length``, and
    at most its first ``limit`` tokens (a client's ``max_tokens``): only those are built. ``padding``: filler
    words (one long paragraph) or further replies, part after part (headings, lists, code and tables, as a
    long answer has).

    Tokens, not text: a cut text can tokenize differently (two newlines become one token), so the count a
    client is promised must come from the list that is sent."""
    digest = int.from_bytes(hashlib.sha256("\x1e".join(conversation).encode()).digest()[:8], "big")
    rng = random.Random(digest)  # noqa: S311 - determinism, not security
    topic = _topic(last_user_text)
    text = _reply_text(topic, len(conversation), rng)
    if length is None:
        tokens = tokenize(text)
    else:
        wanted = length if limit is None else min(length, limit)
        if padding == "words":
            tokens = _fit(text, wanted, rng)
        else:
            tokens = _fit_with_replies(text, wanted, topic, len(conversation), rng)
    return tokens if limit is None else tokens[:limit]


def _reply_text(topic: str, turn: int, rng: random.Random) -> str:
    language, code = rng.choice(_CODE_SAMPLES)
    points = rng.sample(_POINTS, 3)
    return "\n".join(
        [
            f"## {topic}",
            "",
            rng.choice(_OPENINGS).format(topic=topic) + f" (message {turn} of our conversation)",
            "",
            *(f"- {point}" for point in points),
            "",
            f"```{language}",
            code,
            "```",
            "",
            "| Language | Greeting |",
            "| --- | --- |",
            "| Français | Ça va très bien, merci ! |",
            "| 日本語 | こんにちは、世界 |",
            "| 中文 | 你好，世界 |",  # noqa: RUF001 - a real Chinese comma
            "",
            "That's all for now. 🚀",
        ]
    )


def reply_for(conversation: list[str], last_user_text: str, length: int | None = None) -> str:
    return "".join(reply_tokens(conversation, last_user_text, length))


def _topic(text: str) -> str:
    words = text.split()
    topic = " ".join(words[:8]) + (" …" if len(words) > 8 else "")
    return topic or "your message"


def _fit(text: str, length: int, rng: random.Random) -> list[str]:
    """The first ``length`` tokens of the text padded with filler words (each word is one token or more, and
    the first words of any padding are the same words, so every cut of a padded reply is a prefix of a longer
    one)."""
    tokens = tokenize(text)
    if len(tokens) < length:
        padding = " ".join(rng.choice(_FILLER_WORDS) for _ in range(length - len(tokens)))
        tokens = tokenize(f"{text}\n\n{padding}")
    return tokens[:length]


def _fit_with_replies(text: str, length: int, topic: str, turn: int, rng: random.Random) -> list[str]:
    """The first ``length`` tokens of the reply followed by further parts of it, each a whole reply of its own
    (built only as far as needed; each part is tokenized alone, so every cut is a prefix of a longer one)."""
    tokens = tokenize(text)
    part = 1
    while len(tokens) < length:
        part += 1
        tokens += ["\n\n", *tokenize(_reply_text(f"Part {part}: {topic}", turn, rng))]
    return tokens[:length]


QUOTE_BOMB_TEXT = " The bottom of a deep quote."
QUOTE_BOMB_PIECE = 64  # `>` per token, so the bomb streams over several chunks as a model's would


def echo_tokens(last_user_text: str) -> list[str]:
    """The user's message (its directive lines already removed) exactly, as the reply."""
    return tokenize(last_user_text)


def quote_bomb_tokens(depth: int) -> list[str]:
    """``depth`` nested blockquotes on one line, then a sentence: text a model can be made to write, that
    overflows a recursive markdown renderer's stack."""
    pieces = [">" * min(QUOTE_BOMB_PIECE, depth - start) for start in range(0, depth, QUOTE_BOMB_PIECE)]
    return [*pieces, *tokenize(QUOTE_BOMB_TEXT)]


# A summarisation request: its instructions are a system message so begun, either first with the transcript
# as the user's message ("User: ..." and "Assistant: ..." paragraphs), or last after the turns themselves.
SUMMARY_REQUEST_PREFIX = "Summarize"
EARLIER_SUMMARY_PREFIX = "Summary of the earlier conversation:"
SUMMARY_WORDS_PER_MESSAGE = 6
_SYSTEM_ROLES = ("system", "developer")
_TRANSCRIPT_TURN = re.compile(r"(?:^|\n\n)(User|Assistant): ")


def is_summary_request(roles: Sequence[str], texts: Sequence[str]) -> bool:
    return _instructions_first(roles, texts) or (
        bool(roles) and roles[-1] in _SYSTEM_ROLES and texts[-1].startswith(SUMMARY_REQUEST_PREFIX)
    )


def carries_summary(roles: Sequence[str], texts: Sequence[str]) -> bool:
    """A request whose system message carries an earlier summary (memory's prompt once turns are summarised)."""
    return any(r in _SYSTEM_ROLES and EARLIER_SUMMARY_PREFIX in t for r, t in zip(roles, texts, strict=True))


def _instructions_first(roles: Sequence[str], texts: Sequence[str]) -> bool:
    return len(roles) >= 2 and roles[0] in _SYSTEM_ROLES and texts[0].startswith(SUMMARY_REQUEST_PREFIX)


def _transcript_turns(text: str) -> tuple[list[tuple[str, str]], bool]:
    """The (role, text) turns of a transcript, and whether it begins with an earlier summary."""
    pieces = _TRANSCRIPT_TURN.split(text)
    turns = [(pieces[i].lower(), pieces[i + 1]) for i in range(1, len(pieces) - 1, 2)]
    return turns, pieces[0].lstrip().startswith(EARLIER_SUMMARY_PREFIX)


def last_question(roles: Sequence[str], texts: Sequence[str]) -> str | None:
    """Of a summarisation request whose transcript is the user's message: the transcript's last question."""
    if not _instructions_first(roles, texts):
        return None
    turns, _ = _transcript_turns("\n\n".join(t for r, t in zip(roles, texts, strict=True) if r == "user"))
    return next((t for r, t in reversed(turns) if r == "user"), "")


def summary_tokens(roles: Sequence[str], texts: Sequence[str], limit: int | None = None) -> list[str]:
    """A summarisation request's answer, recognisable in tests: how many messages it summarised, an earlier
    summary carried forward, and the first words of each user message (directive lines left out)."""
    if _instructions_first(roles, texts):
        turns, carried = _transcript_turns("\n\n".join(t for r, t in zip(roles, texts, strict=True) if r == "user"))
        earlier = [True] if carried else []
    else:
        pairs = list(zip(roles[:-1], texts[:-1], strict=True))
        earlier = [True for _, t in pairs if t.startswith(EARLIER_SUMMARY_PREFIX)]
        turns = [(r, t) for r, t in pairs if r in ("user", "assistant") and not t.startswith(EARLIER_SUMMARY_PREFIX)]
    said = turns
    asked = [" ".join(_without_directives(t).split()[:SUMMARY_WORDS_PER_MESSAGE]) for r, t in turns if r == "user"]
    text = f"[emulator summary of {len(said)} messages]"
    if earlier:
        text += " (carrying an earlier summary forward)"
    text += " The user asked: " + "; ".join(asked) + "."
    tokens = tokenize(text)
    return tokens if limit is None else tokens[:limit]


# A title request: its instructions are the first message, a system message so begun, and the conversation to
# title (its first question and answer) the user's message, in "User: ..." and "Assistant: ..." paragraphs.
TITLE_REQUEST_PREFIX = "Write a short title"
TITLE_WORDS = 6
TITLE_MARK = "(emulator title)"


def titled_question(roles: Sequence[str], texts: Sequence[str]) -> str | None:
    """Of a title request: the question it titles (the transcript's first user turn); None for any other."""
    if not (len(roles) >= 2 and roles[0] in _SYSTEM_ROLES and texts[0].startswith(TITLE_REQUEST_PREFIX)):
        return None
    turns, _ = _transcript_turns("\n\n".join(t for r, t in zip(roles, texts, strict=True) if r == "user"))
    return next((t for r, t in turns if r == "user"), "")


def title_tokens(question: str, limit: int | None = None) -> list[str]:
    """A title request's answer, recognisable in tests and starting as the question does: its first six words
    (directive lines left out), then "(emulator title)"."""
    words = _without_directives(question).split()[:TITLE_WORDS]
    tokens = tokenize(" ".join([*words, TITLE_MARK]))
    return tokens if limit is None else tokens[:limit]


def _without_directives(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("@emulator"))
