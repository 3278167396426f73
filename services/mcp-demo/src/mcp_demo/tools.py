"""The demo's tools: notes to read and add, a slow tool that records its cancellations, and whoami.

Each tool is an argument model (its JSON schema is the tool's input schema) and an async function of the
validated arguments and the call; it returns the text of its result or raises ``ToolFailure``.
"""

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import anyio
from mcp.types import RequestId
from pydantic import BaseModel, ConfigDict, Field

from mcp_demo.auth import Caller
from mcp_demo.cancellations import Cancellation, CancellationLog
from mcp_demo.store import MAX_NOTE_CHARS, NoteStore, StoreFull

MAX_SLOW_S = 120.0
PROGRESS_EVERY_S = 1.0


class ToolFailure(Exception):
    """A failure the caller should read (the message goes into the error result as it is)."""


@dataclass(frozen=True)
class Call:
    caller: Caller
    request_id: RequestId
    session_id: str | None
    report_progress: Callable[[float, float | None], Awaitable[None]]  # a no-op unless the client asked


class Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoArguments(Arguments):
    pass


class AddNoteArguments(Arguments):
    text: str = Field(min_length=1, max_length=MAX_NOTE_CHARS, description="The note's text.")


class SlowArguments(Arguments):
    seconds: float = Field(30.0, ge=0, le=MAX_SLOW_S, description="How long to take, in seconds.")


class EchoArguments(Arguments):
    text: str = Field(max_length=MAX_NOTE_CHARS, description="The text to send back.")


A = TypeVar("A", bound=Arguments)


@dataclass(frozen=True)
class Tool(Generic[A]):
    name: str
    description: str
    arguments: type[A]
    run: Callable[[A, Call], Awaitable[str]]
    read_only: bool

    async def __call__(self, arguments: dict[str, Any], call: Call) -> str:
        return await self.run(self.arguments.model_validate(arguments), call)


class DemoTools:
    def __init__(self, store: NoteStore, cancellations: CancellationLog) -> None:
        self._store = store
        self._cancellations = cancellations

    def standard(self) -> list[Tool[Any]]:
        return [
            Tool("list_notes", "List your notes, one `id: text` line each.", NoArguments, self.list_notes, True),
            Tool("add_note", "Add a note; returns its id.", AddNoteArguments, self.add_note, False),
            Tool(
                "slow",
                f"Wait `seconds` (0 to {MAX_SLOW_S:g}) and say so: a long-running call to cancel.",
                SlowArguments,
                self.slow,
                True,
            ),
            Tool("whoami", "Who is calling, as this server was told.", NoArguments, self.whoami, True),
        ]

    def extra(self) -> Tool[Any]:
        """The tool a test adds at run time (POST /_demo/tools/extra)."""
        return Tool("echo", "Send the text back.", EchoArguments, self.echo, True)

    async def list_notes(self, _: NoArguments, call: Call) -> str:
        notes = self._store.notes(call.caller.sub)
        return "\n".join(f"{note_id}: {text}" for note_id, text in notes) if notes else "(no notes)"

    async def add_note(self, arguments: AddNoteArguments, call: Call) -> str:
        try:
            return str(self._store.add(call.caller.sub, arguments.text))
        except StoreFull as full:
            raise ToolFailure(str(full)) from full

    async def slow(self, arguments: SlowArguments, call: Call) -> str:
        started = time.time()
        self._cancellations.started(call.session_id, call.request_id, call.caller.sub, started)
        try:
            elapsed = 0.0
            await call.report_progress(elapsed, arguments.seconds)
            while elapsed < arguments.seconds:
                step = min(PROGRESS_EVERY_S, arguments.seconds - elapsed)
                await anyio.sleep(step)
                elapsed += step
                await call.report_progress(elapsed, arguments.seconds)
        except anyio.get_cancelled_exc_class():
            self._record_cancellation("slow", call, started)
            raise
        finally:
            self._cancellations.ended(call.session_id, call.request_id)
        return f"slept {arguments.seconds:g} s"

    async def whoami(self, _: NoArguments, call: Call) -> str:
        if call.caller.sub is None:
            return "anonymous"
        return f"sub: {call.caller.sub}\nname: {call.caller.name or ''}"

    async def echo(self, arguments: EchoArguments, _: Call) -> str:
        return arguments.text

    def _record_cancellation(self, tool: str, call: Call, started: float) -> None:
        notified, client_reason = self._cancellations.notified(call.session_id, call.request_id)
        self._cancellations.record(
            Cancellation(
                request_id=call.request_id,
                session_id=call.session_id,
                tool=tool,
                caller_sub=call.caller.sub,
                caller_name=call.caller.name,
                reason="notifications/cancelled" if notified else "session ended",
                cancel_reason=client_reason,
                started_at=started,
                cancelled_at=time.time(),
            )
        )
