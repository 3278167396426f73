"""Which tools the emulated model calls, and what it answers once their results come back.

The last user message asks for calls (``@emulator call NAME {json}`` lines, see `directives`); the request
offers tools (``tools``, narrowed by ``tool_choice``). A round is one assistant message with ``tool_calls``
after the last user message; while fewer than ``rounds`` have happened the model calls again, then it answers
with a text that quotes every result (``Tool NAME said: …``). Only offered tools are called: a tool asked for
but not offered gets a text that says so, as a model answers without the tool it lacks.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from emulator.directives import FIRST_OFFERED, CallRequest
from emulator.protocol import BadRequest, ChatCompletionRequest, ChatMessage, NamedToolChoice, ToolCall
from emulator.tokens import count_tokens, tokenize


@dataclass(frozen=True)
class ToolPlan:
    """What this response does about tools: make ``calls``, or say ``text`` (quoted results or a refusal)."""

    calls: tuple[ToolCall, ...] = ()
    text: str | None = None


NO_PLAN = ToolPlan()


def check_tool_messages(chat: ChatCompletionRequest) -> None:
    """Refuse, as the service does, a ``tool`` message that answers no call, and calls left unanswered."""
    if chat.tool_choice is not None and not chat.tools:
        raise BadRequest(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
            "tool_choice",
        )
    if isinstance(chat.tool_choice, NamedToolChoice):
        wanted = chat.tool_choice.function.name
        if wanted not in {tool.function.name for tool in chat.tools or ()}:
            raise BadRequest(
                f"Invalid value for 'tool_choice': no function named '{wanted}' was specified in the "
                "'tools' parameter.",
                "tool_choice",
            )
    open_calls: dict[str, int] = {}  # call id -> the assistant message that made it
    for position, message in enumerate(chat.messages):
        if message.role == "tool":
            if message.tool_call_id not in open_calls:
                raise BadRequest(
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with "
                    "'tool_calls'.",
                    f"messages.[{position}].role",
                )
            del open_calls[message.tool_call_id]
            continue
        if open_calls:
            break
        if message.role == "assistant" and message.tool_calls:
            open_calls = {call.id: position for call in message.tool_calls}
    if open_calls:
        position = next(iter(open_calls.values()))
        raise BadRequest(
            "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
            f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(open_calls)}",
            f"messages.[{position}].role",
        )


def plan(
    chat: ChatCompletionRequest,
    asked: Sequence[CallRequest],
    rounds: int,
    parallel: bool = True,
    quote: bool = True,
) -> ToolPlan:
    """Calls to make, a text to say instead, or `NO_PLAN` (the usual reply; after the rounds too, unless
    `quote`)."""
    offered = _offered(chat)
    since_user = _since_last_user(chat.messages)
    done = rounds_done(chat)
    forced = chat.tool_choice == "required" or isinstance(chat.tool_choice, NamedToolChoice)
    if forced and offered:
        wanted = list(asked) or [CallRequest(FIRST_OFFERED)]
        calls = _resolve(wanted, offered) or _resolve([CallRequest(FIRST_OFFERED)], offered)
        return ToolPlan(calls=_limit(calls, parallel))
    if asked and done < rounds:
        calls = _resolve(asked, offered)
        if calls:
            return ToolPlan(calls=_limit(calls, parallel))
        if not done:
            return ToolPlan(text=_not_offered(asked, chat, offered))
    if done and quote:
        return ToolPlan(text=quote_results(since_user))
    return NO_PLAN


def rounds_done(chat: ChatCompletionRequest) -> int:
    """How many rounds of calls came since the last user message (this response is round ``rounds_done + 1``)."""
    return sum(1 for message in _since_last_user(chat.messages) if message.role == "assistant" and message.tool_calls)


def preface(calls: Sequence[ToolCall]) -> str:
    """The sentence a model says before it calls, when a directive asks for one."""
    return f"Let me check with {' and '.join(dict.fromkeys(call.name for call in calls))}.\n\n"


def quote_results(messages: Sequence[ChatMessage]) -> str:
    """``Tool NAME said: RESULT``, one line per tool message, in order."""
    names = {call.id: call.function.name for m in messages for call in m.tool_calls or ()}
    lines = [f"Tool {names.get(m.tool_call_id or '', 'unknown')} said: {m.text}" for m in messages if m.role == "tool"]
    return "\n".join(lines)


def prompt_tokens(chat: ChatCompletionRequest) -> int:
    """What the tool definitions and earlier calls add to the prompt (the definitions counted as their JSON)."""
    definitions = sum(
        count_tokens(orjson.dumps(tool.model_dump(exclude_none=True)).decode()) for tool in chat.tools or ()
    )
    calls = sum(
        count_tokens(call.function.name) + count_tokens(call.function.arguments)
        for message in chat.messages
        for call in message.tool_calls or ()
    )
    return definitions + calls


def _offered(chat: ChatCompletionRequest) -> dict[str, Mapping[str, Any]]:
    """Offered tool names with their parameter schemas, as ``tool_choice`` narrows them."""
    if chat.tool_choice == "none":
        return {}
    tools: dict[str, Mapping[str, Any]] = {
        tool.function.name: tool.function.parameters or {} for tool in chat.tools or ()
    }
    if isinstance(chat.tool_choice, NamedToolChoice):
        name = chat.tool_choice.function.name
        return {name: tools[name]}
    return tools


def _since_last_user(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    return list(messages[last_user + 1 :])


def _match(name: str, offered: Mapping[str, Any]) -> str | None:
    """The offered tool ``name`` means: itself, else a tool qualified by a plugin (Semantic Kernel's
    ``plugin-function``), else for ``*`` the first offered."""
    if name == FIRST_OFFERED:
        return next(iter(offered), None)
    if name in offered:
        return name
    return next((tool for tool in offered if tool.endswith(f"-{name}")), None)


def _resolve(asked: Sequence[CallRequest], offered: Mapping[str, Mapping[str, Any]]) -> tuple[ToolCall, ...]:
    calls = []
    for request in asked:
        name = _match(request.name, offered)
        if name is None:
            continue
        arguments = request.arguments if request.arguments is not None else arguments_for(offered[name])
        fragments = tuple(tokenize(orjson.dumps(arguments).decode()))
        calls.append(ToolCall(id=f"call_{uuid.uuid4().hex[:24]}", name=name, fragments=fragments))
    return tuple(calls)


def _limit(calls: tuple[ToolCall, ...], parallel: bool) -> tuple[ToolCall, ...]:
    return calls if parallel else calls[:1]


def _not_offered(asked: Sequence[CallRequest], chat: ChatCompletionRequest, offered: Mapping[str, Any]) -> str:
    names = ", ".join(request.name for request in asked)
    if chat.tool_choice == "none":
        why = "tool_choice is none"
    elif not offered:
        why = "no tools were offered"
    else:
        why = f"the tools offered are {', '.join(offered)}"
    return f"I cannot call {names}: {why}."


_EXAMPLES: dict[str, Any] = {
    "string": "emulator",
    "integer": 1,
    "number": 1,
    "boolean": True,
    "array": [],
    "object": {},
}


def arguments_for(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Arguments a schema accepts: each required property given its first enum value or an example of its type."""
    properties: Mapping[str, Any] = schema.get("properties") or {}
    arguments = {}
    for name in schema.get("required") or ():
        spec = properties.get(name) or {}
        if spec.get("enum"):
            arguments[name] = spec["enum"][0]
            continue
        kind = spec.get("type", "string")
        kind = next((k for k in kind if k != "null"), "string") if isinstance(kind, list) else kind
        arguments[name] = _EXAMPLES.get(kind, "emulator")
    return arguments
