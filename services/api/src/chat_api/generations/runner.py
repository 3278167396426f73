"""The owner's side of a live answer: a task per generation, apart from any HTTP response.

It opens the upstream (the chat core's retries included) while the turn's rows are inserted beside it, writes
`start` as soon as they are, then every batch of events to the event log, saves the text as it grows (at most
about once a second, which also renews the owner's lease, from the rows' insert on: a first token may take a
minute) and always saves the end: `done`, `stopped` (Stop), `error` (the model failed, or its stream ended
without finishing) or `interrupted` (this process shut down before the answer ended).

With tools, the answer is rounds: a round that ends asking for tools has them run (in parallel, each asking
the user first if it acts), and the next round gets their results; after TOOLS_MAX_ROUNDS, one last round
that must answer in words. A Stop cancels what runs, the tools included, and starts no further round.
"""

import asyncio
import contextlib
import dataclasses
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal, cast

from chat_api.chat.citations import Sources
from chat_api.chat.events import (
    AnswerEvent,
    ApprovalDecided,
    ApprovalRequired,
    Decision,
    Failed,
    Finished,
    Start,
    TextDelta,
    TokenUsage,
    ToolCall,
    ToolResult,
)
from chat_api.chat.reader import CallsRequested, ChatStream
from chat_api.chat.response import RESTARTING
from chat_api.chat.schemas import ChatRequest
from chat_api.chat.service import ChatService, OpenedStream, relay_batches
from chat_api.generations.log import EventLog
from chat_api.generations.stop_signal import StopSignal
from chat_api.generations.store import INTERRUPTED, GenerationStore, Outcome, Turn
from chat_api.generations.transcript import Transcript
from chat_api.http.errors import ApiError
from chat_api.limits.limiter import Grant
from chat_api.limits.service import Limits
from chat_api.storage.models import MessageStatus, utcnow
from chat_api.storage.outage import is_unreachable
from chat_api.telemetry import metrics
from chat_api.tools.calls import Call, CallOutcome, cancelled
from chat_api.tools.toolkit import ToolGrant, Toolkit
from chat_api.usage.ledger import Spent, UsageLedger

logger = logging.getLogger("chat_api.generations")

SAVE_EVERY_S = 1.0


@dataclass
class Plan:
    turn: Turn
    request: ChatRequest
    request_id: str
    grant: Grant | None = None  # what the user's limits reserved for it, settled when it ends
    # Told the saved outcome once the answer has ended and been settled (memory: a summary, if due).
    after_end: Callable[[Outcome], None] | None = None
    owner: uuid.UUID | None = None  # the user it is for: its readers here are let in while the database is away
    tools: ToolGrant | None = None  # the tools it may offer the model (none: it is called as without tools)
    system_prompt: str | None = None  # when not the configured one (the user's saved memories added to it)
    sources: Sources = field(default_factory=Sources)  # the passages the prompt gives the model already, numbered


@dataclass
class Generation:
    id: str
    plan: Plan
    # Set once the rows exist and `start` is in the log (or with the failure to insert them: a 409, a 404):
    # the POST waits for this to choose its status. What follows, failures before the first token included,
    # are events.
    ready: asyncio.Future[None]
    task: asyncio.Task[None] | None = None
    attempts: int | None = None
    opened: OpenedStream | None = None  # the round being read
    stop_requested: bool = False
    transcript: Transcript = field(default_factory=Transcript)
    usage: TokenUsage | None = None  # summed over the rounds
    tool_calls: int = 0  # the calls of the rounds that asked for tools
    pending: dict[str, asyncio.Future[Decision]] = field(default_factory=dict)  # calls waiting for the user, by id
    calls_started: float | None = None  # when the latest round's calls began
    started: float = field(default_factory=time.perf_counter)
    first_token_s: float | None = None

    @property
    def text(self) -> list[str]:
        return self.transcript.text

    @property
    def upstream(self) -> ChatStream | None:
        return self.opened.stream if self.opened is not None else None

    def decide(self, call_id: str, decision: str) -> bool:
        """The user's decision on a call waiting for it (from any replica): False when none is waiting."""
        waiting = self.pending.get(call_id)
        if waiting is None or waiting.done():
            return False
        waiting.set_result(cast(Decision, decision))  # checked by the route that took it
        return True

    def add_usage(self, usage: TokenUsage) -> None:
        before = self.usage
        if before is not None:
            usage = TokenUsage(
                before.prompt_tokens + usage.prompt_tokens,
                before.completion_tokens + usage.completion_tokens,
                before.total_tokens + usage.total_tokens,
                before.reasoning_tokens + usage.reasoning_tokens,
            )
        self.usage = usage


def _outcome_read(task: "asyncio.Future[None]") -> None:
    """Reads a shielded save's outcome, so that one still running when its answer ended (and failing then, the
    database restarting) is not reported as "Task exception was never retrieved"."""
    if not task.cancelled():
        task.exception()


def start_event(plan: Plan) -> Start:
    turn = plan.turn
    return Start(
        request_id=plan.request_id,
        model=turn.model,
        conversation_id=str(turn.conversation_id),
        user_message_id=str(turn.user_id),
        assistant_message_id=str(turn.assistant_id),
    )


class GenerationRunner:
    def __init__(
        self,
        chat: ChatService,
        store: GenerationStore,
        log: EventLog,
        stops: StopSignal,
        limits: Limits,
        toolkit: Toolkit | None = None,
        ledger: UsageLedger | None = None,
    ) -> None:
        self.chat = chat
        self.store = store
        self.log = log
        self.stops = stops
        self.limits = limits
        self.toolkit = toolkit
        self.ledger = ledger
        self.running: dict[str, Generation] = {}

    def start(self, plan: Plan) -> Generation:
        generation = Generation(str(plan.turn.assistant_id), plan, asyncio.get_running_loop().create_future())
        self.running[generation.id] = generation
        metrics.active_streams.add(1)
        generation.task = asyncio.create_task(self._run(generation), name=f"generation-{generation.id}")
        self.stops.on_stop(generation.id, lambda: self._stop_here(generation), generation.decide)
        return generation

    async def stop(self, generation_id: str) -> bool:
        """Stop an answer wherever it runs (here, or through the stop signal). False: not running."""
        return await self.stops.request_stop(generation_id)

    async def decide(self, generation_id: str, call_id: str, decision: str) -> bool | None:
        """The user's decision on a call, wherever its answer runs: True taken, False no such call waiting,
        None nobody writing the answer could be reached."""
        return await self.stops.request_decision(generation_id, call_id, decision)

    def _stop_here(self, generation: Generation) -> None:
        generation.stop_requested = True
        if generation.task is not None:
            generation.task.cancel()
        if generation.upstream is not None:
            generation.upstream.abort()  # the model stops now, not once the cancellation has unwound

    async def drain(self, deadline_s: float) -> None:
        """On shutdown: answers in progress get until the deadline to end, then end `interrupted`."""
        tasks = [g.task for g in self.running.values() if g.task is not None]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=deadline_s)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, generation: Generation) -> None:
        plan, gid = generation.plan, generation.id
        insert = asyncio.create_task(self.store.insert(plan.turn))
        opening = asyncio.create_task(self._open_round(plan, generation.transcript, rounds_done=0))
        try:
            await insert
        except BaseException as exc:
            opening.cancel()
            with contextlib.suppress(BaseException):
                await (await opening).stream.aclose()
            self._settle(generation, exc)
            self.running.pop(gid, None)
            self.stops.forget_stop(gid)
            metrics.active_streams.add(-1)
            await asyncio.shield(self.limits.settle(plan.grant, 0))  # refused by the database: nothing spent
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        # From here the rows exist: every way out saves an outcome, then tells readers (so a reader that sees
        # the end and reloads finds it saved).
        outcome = Outcome(MessageStatus.INTERRUPTED, "")
        terminal: Finished | Failed | None = None
        # The lease is renewed while the owner lives, first token or not (a reasoning model, a long prompt on a
        # CPU: tens of seconds before it): otherwise the sweeper would call a live answer interrupted.
        saver = asyncio.create_task(self._save_as_it_grows(generation))
        try:
            await self.log.append(gid, [start_event(plan)])
            self._settle(generation, None)
            try:
                generation.opened = await opening
            except ApiError as error:
                outcome = self._outcome(generation, MessageStatus.ERROR, error=Failed.of(error))
                terminal = Failed.of(error)
                return
            generation.attempts = generation.opened.attempts
            outcome, terminal = await self._rounds(generation)
        except asyncio.CancelledError:
            if generation.stop_requested:
                outcome = self._outcome(generation, MessageStatus.STOPPED, finish_reason="cancelled")
                terminal = Finished("cancelled")
            else:  # this process is shutting down, and the answer outlived the grace period
                outcome = self._outcome(generation, MessageStatus.INTERRUPTED, error=Failed.of(INTERRUPTED))
                terminal = Failed.of(INTERRUPTED)
        finally:
            saver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await saver
            if generation.opened is None:  # ended before the model answered (a Stop, a shutdown): close it too
                opening.cancel()
                with contextlib.suppress(BaseException):
                    generation.opened = await opening
            if generation.opened is not None:
                await generation.opened.stream.aclose()
            await asyncio.shield(self._finish(generation, outcome, terminal))

    async def _open_round(self, plan: Plan, transcript: Transcript, rounds_done: int) -> OpenedStream:
        """A round of the answer: the first, or one after tools ran (`transcript` has their calls and results);
        the last allowed one offers the tools but must answer in words."""
        grant, toolkit = plan.tools, self.toolkit
        offer = None
        if grant is not None and toolkit is not None:
            offer = toolkit.offer(grant, last=rounds_done >= toolkit.max_rounds)
        return await self.chat.open(
            plan.request, system_prompt=plan.system_prompt, steps=transcript.steps(), tools=offer, model=plan.turn.model
        )

    async def _rounds(self, generation: Generation) -> tuple[Outcome, Finished | Failed]:
        """Reads the opened round; while rounds end asking for tools, runs them and opens the next."""
        rounds_done = 0
        while True:
            assert generation.opened is not None
            end = await self._relay(generation, generation.opened)
            if isinstance(end, Finished):
                return self._outcome(generation, MessageStatus.DONE, finish_reason=end.finish_reason), end
            if isinstance(end, Failed):
                return self._outcome(generation, MessageStatus.ERROR, error=end), end
            opened, generation.opened = generation.opened, None
            await opened.stream.aclose()
            await self._run_calls(generation)
            rounds_done += 1
            generation.transcript.next_round()
            try:
                generation.opened = await self._open_round(generation.plan, generation.transcript, rounds_done)
            except ApiError as error:
                return self._outcome(generation, MessageStatus.ERROR, error=Failed.of(error)), Failed.of(error)

    async def _run_calls(self, generation: Generation) -> None:
        """The round's calls, in parallel, each with its events: whole, then (for one that acts) the user's
        decision, then its result."""
        calls = generation.transcript.calls()
        generation.calls_started = time.perf_counter()
        generation.tool_calls += len(calls)
        await self.log.append(generation.id, [ToolCall(c.call_id, c.tool, c.arguments, complete=True) for c in calls])
        await asyncio.gather(*(self._run_call(generation, call) for call in calls))

    async def _run_call(self, generation: Generation, call: Call) -> None:
        grant, toolkit = generation.plan.tools, self.toolkit
        if grant is None or toolkit is None:  # the model called a tool it was not offered
            outcome = CallOutcome("error", "No tools are offered in this conversation.", 0)
        else:
            outcome = await toolkit.run(
                grant, call, lambda asked: self._approval(generation, asked), generation.plan.sources
            )
        generation.transcript.add_result(call, outcome)
        await self.log.append(generation.id, [_result_event(call, outcome)])

    async def _approval(self, generation: Generation, call: Call) -> Decision | Literal["timeout"]:
        """The user's decision on a call that acts: asked in the answer's events, taken from any replica, denied
        when none comes in time. A tool allowed for the conversation runs without asking again."""
        grant = generation.plan.tools
        if grant is not None and call.tool in grant.approved:
            return "allow_conversation"
        timeout = self.chat.settings.TOOLS_APPROVAL_TIMEOUT_S
        expires = utcnow() + timedelta(seconds=timeout)
        waiting: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        generation.pending[call.call_id] = waiting
        try:
            stamp = expires.isoformat(timespec="seconds").replace("+00:00", "Z")
            await self.log.append(generation.id, [ApprovalRequired(call.call_id, call.tool, call.arguments, stamp)])
            decision: Decision | Literal["timeout"]
            try:
                decision = await asyncio.wait_for(waiting, timeout)
            except TimeoutError:
                decision = "timeout"
        finally:
            generation.pending.pop(call.call_id, None)
        await self.log.append(generation.id, [ApprovalDecided(call.call_id, decision)])
        if decision == "allow_conversation" and grant is not None:
            generation.plan.tools = grant = ToolGrant(
                grant.identity, grant.conversation_id, grant.functions, grant.approved | {call.tool}
            )
            try:
                await self.store.approve_tool(generation.plan.turn.conversation_id, call.tool)
            except Exception:  # this answer has it; a later one asks again
                logger.warning("could not save a tool allowed for a conversation", exc_info=True)
        return decision

    async def _finish(self, generation: Generation, outcome: Outcome, terminal: Finished | Failed | None) -> None:
        # Calls cut short (a Stop, a shutdown) end `cancelled`, in the saved parts and in the events.
        unfinished = generation.transcript.unfinished()
        ending: list[AnswerEvent] = []
        if unfinished:
            stopped = cancelled(generation.calls_started or time.perf_counter())
            for call in unfinished:
                generation.transcript.add_result(call, stopped)
            outcome = dataclasses.replace(outcome, parts=generation.transcript.stored())
            ending += [_result_event(call, stopped) for call in unfinished]
        await self._save_end(generation, outcome)
        plan = generation.plan
        used = self.limits.used(plan.request, outcome.prompt_tokens, outcome.completion_tokens, len(generation.text))
        await self.limits.settle(plan.grant, used)
        if generation.usage is not None:
            ending.append(generation.usage)
        if terminal is not None:
            await self.log.append(generation.id, [*ending, terminal])
        self._settle(generation, RESTARTING)  # (ended before `start` reached the log: the POST answers 503)
        self.running.pop(generation.id, None)
        self.stops.forget_stop(generation.id)
        metrics.active_streams.add(-1)
        if plan.after_end is not None:
            try:
                plan.after_end(outcome)
            except Exception:
                logger.warning("what follows an answer failed to start", exc_info=True)
        metrics.answer_ended(
            self.chat.settings.model_provider(self.chat.models.find(plan.turn.model).entry),
            plan.turn.model,
            outcome.status,
            outcome.prompt_tokens,
            outcome.completion_tokens,
            time.perf_counter() - generation.started,
            generation.first_token_s,
        )
        if self.ledger is not None and plan.owner is not None:  # after the end is sent: off the answer's path
            self.ledger.add(plan.owner, plan.turn.model, _spent(generation, used))

    async def _relay(self, generation: Generation, opened: OpenedStream) -> Finished | Failed | CallsRequested:
        """A round's batches to the log as they come, but its end (the caller saves the answer's end, then sends
        it) and its usage (summed over the rounds, sent before the end)."""
        transcript = generation.transcript
        async for batch in relay_batches(opened):
            events: list[AnswerEvent] = []
            for event in batch:
                if isinstance(event, Finished | Failed | CallsRequested):
                    if events:
                        await self.log.append(generation.id, events)
                    return event
                if isinstance(event, TokenUsage):
                    generation.add_usage(event)
                    continue
                if generation.first_token_s is None:
                    generation.first_token_s = time.perf_counter() - generation.started
                if isinstance(event, TextDelta):
                    for citation in generation.plan.sources.cited_by(event.text):
                        transcript.add_citation(citation)
                        events.append(citation)
                    transcript.add_text(event.text)
                else:
                    transcript.add_fragment(event)
                events.append(event)
            if events:
                await self.log.append(generation.id, events)
        raise AssertionError(
            "unreachable: a relay always ends with Finished, Failed or CallsRequested"
        )  # pragma: no cover

    @staticmethod
    def _outcome(
        generation: Generation, status: MessageStatus, finish_reason: str | None = None, error: Failed | None = None
    ) -> Outcome:
        usage = generation.usage
        return Outcome(
            status=status,
            content="".join(generation.text),
            finish_reason=finish_reason,
            error_code=error.code if error else None,
            error_message=error.message if error else None,
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
            parts=generation.transcript.stored(),
        )

    async def _save_as_it_grows(self, generation: Generation) -> None:
        """At most about once a second: the text so far, and the owner's lease renewed (also while silent).
        A save that fails (the database restarting) is tried again a second later with all the text by then:
        the answer streams on meanwhile, never waiting for a save."""
        saved = -1
        failing = False
        assistant_id = generation.plan.turn.assistant_id
        # Answers started together (a burst of users) would all save in the same instant, every second, and
        # queue for the database's connections; each gets its own phase instead.
        await asyncio.sleep(random.uniform(0, SAVE_EVERY_S))  # noqa: S311 - a schedule, not a secret
        while True:
            size = len(generation.text)
            started = time.perf_counter()
            try:
                # Shielded: the answer ending cancels this loop, and a statement cancelled half-way can leave
                # its connection out of the pool; the save finishes (its update only touches a streaming row).
                save = asyncio.ensure_future(
                    self.store.progress(assistant_id, "".join(generation.text) if size != saved else None)
                )
                save.add_done_callback(_outcome_read)  # a save that fails after the answer ended is not an error
                await asyncio.shield(save)
            except Exception as error:
                if not failing:  # once per outage, not every second of it for every answer
                    logger.warning(
                        "could not save an answer's progress; retrying every second",
                        exc_info=not is_unreachable(error),
                    )
                failing = True
                await asyncio.sleep(SAVE_EVERY_S)
                continue
            if failing:
                logger.info("an answer's progress is saved again")
                failing = False
            saved = size
            if time.perf_counter() - started > SAVE_EVERY_S:
                logger.warning("saving an answer's progress took over a second")
            await asyncio.sleep(SAVE_EVERY_S)

    async def _save_end(self, generation: Generation, outcome: Outcome) -> None:
        """The end, with all the text (kept in memory meanwhile): while the database is out of reach (a
        restart), again and again for up to GENERATION_SAVE_RETRY_S; any other failure three times."""
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self.chat.settings.GENERATION_SAVE_RETRY_S
        wait, attempt = 0.1, 0
        while True:
            attempt += 1
            try:
                await self.store.end(generation.plan.turn.assistant_id, outcome)
                if attempt > 1:
                    logger.info("an answer's end is saved (attempt %d)", attempt)
                return
            except Exception as error:
                unreachable = is_unreachable(error)
                if attempt == 1 or not unreachable:
                    logger.warning("could not save an answer's end (attempt %d)", attempt, exc_info=not unreachable)
                if (attempt >= 3 and not unreachable) or loop.time() + wait > give_up_at:
                    break
            await asyncio.sleep(wait)
            # Capped at the lease's renewal pace: once the database is back, the end is saved before a sweeper
            # (which gives owners a lease to renew after an outage) could take the answer for a dead owner's.
            wait = min(2 * wait, SAVE_EVERY_S)
        logger.error("an answer's end was not saved: its lease will lapse and it will read as interrupted")

    @staticmethod
    def _settle(generation: Generation, outcome: BaseException | None) -> None:
        if generation.ready.done():
            return
        if outcome is None:
            generation.ready.set_result(None)
        elif isinstance(outcome, asyncio.CancelledError):
            generation.ready.set_exception(RESTARTING)
        else:
            generation.ready.set_exception(outcome)


def _spent(generation: Generation, used: int) -> Spent:
    """What the answer spent, for the ledger: the model's count, else what the limits charged (the prompt's
    estimate and a token a delta)."""
    usage = generation.usage
    if usage is not None:
        prompt, completion, reasoning = usage.prompt_tokens, usage.completion_tokens, usage.reasoning_tokens
    else:
        completion = min(len(generation.text), used)
        prompt, reasoning = used - completion, 0
    return Spent(prompt, completion, reasoning, answers=1, tool_calls=generation.tool_calls)


def _result_event(call: Call, outcome: CallOutcome) -> ToolResult:
    return ToolResult(call.call_id, call.tool, outcome.status, outcome.preview, outcome.duration_ms)
