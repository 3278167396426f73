"""Running one call the model made: find the tool among those the request offers, ask the user first when it
acts, run it under its timeout, and say how it ended in words fit for the model and the user (never a
traceback, a secret or an internal address)."""

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

import orjson
from semantic_kernel import Kernel
from semantic_kernel.exceptions import FunctionExecutionException, KernelException
from semantic_kernel.functions import KernelArguments, KernelFunction

from chat_api.chat.events import Decision
from chat_api.chat.parts import ToolStatus
from chat_api.tools.errors import ToolError, ToolTimeout
from chat_api.tools.spec import spec_of

logger = logging.getLogger("chat_api.tools")

PREVIEW_CHARS: Final = 2000  # of a result, in its event and its saved part (the model gets the bounded output)
MESSAGE_CHARS: Final = 300  # of an argument error's text

# How each decision ends a call that acts (None: it runs).
DENIED: Final[dict[str, str]] = {
    "deny": "The user denied this call.",
    "timeout": "The user did not answer in time: the call was not made.",
}

Approve = Callable[["Call"], Awaitable[Decision | Literal["timeout"]]]


@dataclass(frozen=True, slots=True)
class Call:
    """A call the model made, its arguments complete (the JSON text it sent)."""

    call_id: str
    tool: str
    arguments: str


@dataclass(frozen=True, slots=True)
class CallOutcome:
    status: ToolStatus
    output: str  # what the model is told
    duration_ms: int

    @property
    def preview(self) -> str:
        return self.output if len(self.output) <= PREVIEW_CHARS else self.output[:PREVIEW_CHARS] + "…"


def cancelled(started: float) -> CallOutcome:
    return CallOutcome("cancelled", "The call was cancelled: the answer was stopped.", _ms_since(started))


async def run_call(kernel: Kernel, offered: dict[str, KernelFunction], call: Call, approve: Approve) -> CallOutcome:
    """`offered`: the request's tools by their qualified name. A cancellation (Stop) reaches the tool itself."""
    started = time.perf_counter()
    function = offered.get(call.tool)
    if function is None:
        return CallOutcome("error", f"There is no tool called {call.tool[:80]!r} here.", 0)
    arguments = _arguments(call.arguments)
    if isinstance(arguments, str):
        return CallOutcome("error", arguments, 0)
    if spec_of(function).acting:
        decision = await approve(call)
        if decision in DENIED:
            return CallOutcome("denied", DENIED[decision], 0)
        started = time.perf_counter()
    try:
        result = await function.invoke(kernel, KernelArguments(settings=None, **arguments))
    except ToolTimeout as error:
        return CallOutcome("timeout", error.message, _ms_since(started))
    except ToolError as error:
        return CallOutcome("error", error.message, _ms_since(started))
    except FunctionExecutionException as error:  # Semantic Kernel's check of the arguments against the signature
        return CallOutcome("error", f"The arguments did not fit the tool: {str(error)[:MESSAGE_CHARS]}", 0)
    except (KernelException, Exception) as error:
        logger.warning("a tool failed", extra={"fields": {"tool": call.tool, "error": type(error).__name__}})
        return CallOutcome("error", "The tool failed unexpectedly.", _ms_since(started))
    value = result.value if result is not None else None
    return CallOutcome("ok", "" if value is None else str(value), _ms_since(started))


def _arguments(text: str) -> dict[str, Any] | str:
    """The arguments as keyword arguments, or why they cannot be."""
    try:
        parsed = orjson.loads(text or "{}")
    except orjson.JSONDecodeError:
        return "The arguments were not valid JSON."
    if not isinstance(parsed, dict):
        return "The arguments must be a JSON object."
    return parsed


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
