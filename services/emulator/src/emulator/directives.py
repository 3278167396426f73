"""Per-request test directives: faults and pacing chosen by the request itself, so tests can run in parallel.

Two ways to ask, which combine (the message wins):

* a deployment named ``fault-<fault>``, e.g. ``fault-429`` or ``fault-drop``;
* a line in the last user message: ``@emulator key=value key=value ...``, e.g.
  ``@emulator fault=429 retry_after=2 fail_times=1`` or ``@emulator ttft_ms=0 token_ms=5 tokens=400``. A
  summarisation request whose transcript is the user's message takes the directive of the transcript's last
  question. A title request takes only the pace of the question it titles (its faults, calls, scripted
  replies and tag are the answer's), and is logged under the question's tag with ":title" after it.

Tool calls are asked for by lines of their own in the last user message, one per call (several make parallel
calls): ``@emulator call current_time {"timezone": "Europe/Berlin"}``; ``@emulator call *`` calls whichever tool
is offered first, with arguments made from its schema. ``cite=1,3`` ends the answer with the markers ``[1][3]``, as
a model cites the numbered sources it was given.

The directive line is removed before the reply is composed, so it never changes the answer's text.
"""

import hashlib
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any

import orjson


class Fault(StrEnum):
    RATE_LIMIT = "429"  # 429 with Retry-After
    AUTH = "401"  # 401 as for a wrong key
    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    HANG = "hang"  # no answer until the client gives up (or hang_s passes)
    DROP = "drop"  # the connection is cut after `after` tokens
    PROMPT_FILTER = "prompt_filter"  # 400 content_filter: the prompt was filtered
    CONTENT_FILTER = "content_filter"  # the completion is filtered after `after` tokens
    SSE_ERROR = "sse_error"  # an error event in the stream after `after` tokens
    QUOTA = "quota"  # 429 insufficient_quota, as OpenAI's for an account without credit (no Retry-After)
    NO_USAGE = "no_usage"  # the stream ends without its usage chunk, though asked for one (as some servers do)
    # As llama-cpp-python: a 200 with an empty body for a streamed request it cannot serve (a prompt over its
    # context, a chat-template error); `[DONE]` without a finish reason when a second request cuts a stream.
    EMPTY = "empty"
    NO_FINISH = "no_finish"  # `[DONE]` after `after` tokens, with no finish_reason (and no usage) before it


class Scripted(StrEnum):
    """A reply chosen by the test instead of the usual one (to check what a client makes of hostile text)."""

    ECHO = "echo"  # exactly the user's last message, its directive lines removed
    QUOTE_BOMB = "quote_bomb"  # `depth` nested blockquotes (`>>>…> …`), as a model can be made to write


MID_STREAM_FAULTS = frozenset({Fault.DROP, Fault.CONTENT_FILTER, Fault.SSE_ERROR, Fault.NO_FINISH})
# Anyone who can send the stack a chat message can send a directive: a reply's length is bounded, so that
# no message can make the emulator build (and hold its event loop for) millions of tokens. Longer replies
# for benchmarks come from the emulator's own setting (EMULATOR_REPLY_TOKENS), which only its operator sets.
MAX_DIRECTIVE_TOKENS = 400
MAX_QUOTE_DEPTH = 100_000  # bounded for the same reason (100 kB of `>`)


@dataclass(frozen=True)
class Directive:
    fault: Fault | None = None
    after: int = 3
    retry_after: float = 1.0
    fail_times: int | None = None
    hang_s: float | None = None
    tokens: int | None = None
    ttft_ms: float | None = None
    token_ms: float | None = None
    jitter_ms: float | None = None
    tokens_per_chunk: int | None = None
    summary_ms: float | None = None  # a summarisation request's wait before its first token (its ttft_ms)
    title_ms: float | None = None  # a title request's wait before its first token (its ttft_ms)
    tag: str | None = None
    reply: Scripted | None = None
    depth: int = 3000
    rounds: int = 1  # rounds of tool calls before the answer quotes their results
    fault_round: int | None = None  # the fault hits only this round of a tool-calling turn (1: the first)
    preface: bool = False  # a sentence of text before the tool calls
    cite: str | None = None  # source numbers the answer cites at its end, e.g. "1,3"
    quote_results: bool = True  # after its tool rounds the answer quotes their results; off: the usual reply

    @property
    def citations(self) -> str:
        """The markers the answer ends with (`cite`), e.g. " [1][3]"; empty when it cites nothing."""
        return " " + "".join(f"[{number}]" for number in self.cite.split(",")) if self.cite else ""


@dataclass(frozen=True)
class CallRequest:
    """One tool call a message asks for: a tool's name (or ``*``: the first offered) and its arguments (None:
    made from the tool's schema)."""

    name: str
    arguments: Mapping[str, Any] | None = None


FIRST_OFFERED = "*"


class DirectiveError(ValueError):
    """A directive that cannot be understood; answered with a 400 so the test writer sees why."""


_DIRECTIVE_LINE = re.compile(r"^[ \t]*@emulator\b(?P<args>[^\n]*)\n?", re.MULTILINE)
_CALL_LINE = re.compile(r"^[ \t]*@emulator[ \t]+call\b(?P<call>[^\n]*)\n?", re.MULTILINE)
_FIELD_TYPES: dict[str, type] = {
    "after": int,
    "retry_after": float,
    "fail_times": int,
    "hang_s": float,
    "tokens": int,
    "ttft_ms": float,
    "token_ms": float,
    "jitter_ms": float,
    "tokens_per_chunk": int,
    "summary_ms": float,
    "title_ms": float,
    "tag": str,
    "depth": int,
    "rounds": int,
    "fault_round": int,
    "preface": bool,
    "cite": str,
    "quote_results": bool,
}
assert set(_FIELD_TYPES) | {"fault", "reply"} == {f.name for f in fields(Directive)}
MAX_ROUNDS = 1000
MAX_CITED = 50
_BOOLEANS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def split_calls(text: str) -> tuple[str, list[CallRequest]]:
    """The text without its ``@emulator call`` lines, and the calls those lines ask for, in order."""
    calls = [_parse_call(match["call"]) for match in _CALL_LINE.finditer(text)]
    return _CALL_LINE.sub("", text), calls


def _parse_call(line: str) -> CallRequest:
    name, _, raw = line.strip().partition(" ")
    if not name:
        raise DirectiveError("emulator call needs a tool name (or *): @emulator call NAME {json arguments}")
    if not raw.strip():
        return CallRequest(name)
    try:
        arguments = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise DirectiveError(f"emulator call {name}: arguments {raw.strip()!r} are not JSON") from None
    if not isinstance(arguments, dict):
        raise DirectiveError(f"emulator call {name}: arguments must be a JSON object")
    return CallRequest(name, arguments)


def split_directive(text: str) -> tuple[str, dict[str, str]]:
    """The text without its directive lines, and the key=value pairs those lines held (call lines: see
    `split_calls`, which must come first)."""
    pairs: dict[str, str] = {}
    for match in _DIRECTIVE_LINE.finditer(text):
        for item in match["args"].split():
            key, sep, value = item.partition("=")
            if not sep or not value:
                raise DirectiveError(f"emulator directive item {item!r} is not key=value")
            pairs[key] = value
    return _DIRECTIVE_LINE.sub("", text), pairs


# What a title request takes from the directive of the question it titles: how fast it answers, nothing else.
TITLE_KEYS = frozenset({"ttft_ms", "token_ms", "jitter_ms", "tokens_per_chunk", "title_ms"})


def title_directive(deployment: str, question: str) -> Directive:
    """The directive of a title request: the pace of the question's directive (`@emulator call` lines and
    malformed items are the answer's concern, and left out), and the question's tag with ":title" after it."""
    pairs: dict[str, str] = {}
    for match in _DIRECTIVE_LINE.finditer(_CALL_LINE.sub("", question)):
        for item in match["args"].split():
            key, sep, value = item.partition("=")
            if sep and value:
                pairs[key] = value
    paced = parse_directive(deployment, {key: value for key, value in pairs.items() if key in TITLE_KEYS})
    tag = pairs.get("tag")
    return replace(paced, tag=None if tag is None else f"{tag}:title")


def parse_directive(deployment: str, pairs: dict[str, str]) -> Directive:
    directive = Directive()
    if deployment.startswith("fault-"):
        directive = replace(directive, fault=_parse_fault(deployment.removeprefix("fault-")))
    values: dict[str, Any] = {}
    for key, raw in pairs.items():
        if key == "fault":
            values[key] = _parse_fault(raw)
        elif key == "reply":
            values[key] = _parse_scripted(raw)
        elif key in _FIELD_TYPES:
            values[key] = _parse_number(key, raw, _FIELD_TYPES[key])
        else:
            known = ", ".join(["fault", "reply", *_FIELD_TYPES])
            raise DirectiveError(f"unknown emulator directive key {key!r}; known keys: {known}")
    tokens = values.get("tokens")
    if tokens is not None and tokens > MAX_DIRECTIVE_TOKENS:
        raise DirectiveError(
            f"emulator directive tokens={tokens} is over the limit of {MAX_DIRECTIVE_TOKENS}; "
            "for longer replies set EMULATOR_REPLY_TOKENS"
        )
    depth = values.get("depth")
    if depth is not None and depth > MAX_QUOTE_DEPTH:
        raise DirectiveError(f"emulator directive depth={depth} is over the limit of {MAX_QUOTE_DEPTH}")
    cite = values.get("cite")
    if cite is not None and not re.fullmatch(rf"\d{{1,4}}(,\d{{1,4}}){{0,{MAX_CITED - 1}}}", cite):
        raise DirectiveError(
            f"emulator directive cite={cite!r} must be at most {MAX_CITED} source numbers separated by commas, e.g. 1,3"
        )
    rounds = values.get("rounds")
    if rounds is not None and not 1 <= rounds <= MAX_ROUNDS:
        raise DirectiveError(f"emulator directive rounds={rounds} must be between 1 and {MAX_ROUNDS}")
    return replace(directive, **values)


def _parse_scripted(raw: str) -> Scripted:
    try:
        return Scripted(raw)
    except ValueError:
        known = ", ".join(kind.value for kind in Scripted)
        raise DirectiveError(f"unknown emulator reply {raw!r}; known replies: {known}") from None


def _parse_fault(raw: str) -> Fault:
    try:
        return Fault(raw)
    except ValueError:
        known = ", ".join(fault.value for fault in Fault)
        raise DirectiveError(f"unknown emulator fault {raw!r}; known faults: {known}") from None


def _parse_number(key: str, raw: str, kind: type) -> object:
    if kind is str:
        return raw
    if kind is bool:
        if raw.lower() not in _BOOLEANS:
            raise DirectiveError(f"emulator directive {key}={raw!r} is not one of 1, 0, true, false, yes, no")
        return _BOOLEANS[raw.lower()]
    try:
        value = kind(raw)
    except ValueError:
        raise DirectiveError(f"emulator directive {key}={raw!r} is not a {kind.__name__}") from None
    if value < 0:
        raise DirectiveError(f"emulator directive {key}={raw!r} must not be negative")
    return value


class AttemptCounter:
    """Counts attempts of the same request, so `fail_times=N` fails N times and then lets a retry through."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._counts: OrderedDict[bytes, int] = OrderedDict()
        self._capacity = capacity

    def next_attempt(self, deployment: str, body: bytes) -> int:
        """1 for the first time this exact request is seen, 2 for its first retry, and so on."""
        key = hashlib.sha256(deployment.encode() + b"\0" + body).digest()
        attempt = self._counts.pop(key, 0) + 1
        self._counts[key] = attempt
        if len(self._counts) > self._capacity:
            self._counts.popitem(last=False)
        return attempt
