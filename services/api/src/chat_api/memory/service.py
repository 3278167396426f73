"""Memory: the history each prompt carries, within the model's context window. While the whole branch fits,
all of it; once it does not, the stored summary of the older turns and the newest turns that fit beside it
(without a summary, the newest turns alone). Building a prompt never calls the model: a send is admitted by
the user's limits first, and never waits for a summary.

Summaries are made after an answer ends, in the background, when the branch nears the window: one at a time
per conversation, within SUMMARY_TIMEOUT_S, sized so that the request fits the window, and charged to the
user's budget (reserved before the call, settled to the model's count; refused by the limits: no summary and
no model call). The next send finds it stored."""

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence

from chat_api.auth.tokens import Identity
from chat_api.chat.models import Model, Models
from chat_api.chat.schemas import Message as HistoryMessage
from chat_api.chat.tokens import message_tokens
from chat_api.chat.upstream import Upstream
from chat_api.chat.window import (
    ESTIMATE_MARGIN,
    KEPT_AFTER_SUMMARY,
    Turn,
    history_budget,
    nears,
    newest_that_fit,
    tokens_of,
)
from chat_api.http.errors import ApiError
from chat_api.limits.service import Limits
from chat_api.memory import summaries
from chat_api.memory.summaries import StoredSummary
from chat_api.memory.summarizer import newest, request_tokens, summarize, summary_message, transcript
from chat_api.settings import Settings
from chat_api.storage.engine import Sessions
from chat_api.usage.ledger import Spent, UsageLedger

logger = logging.getLogger("chat_api.memory")


class Memory:
    def __init__(
        self,
        models: Models | Upstream,
        sessions: Sessions,
        settings: Settings,
        limits: Limits,
        ledger: UsageLedger | None = None,
    ) -> None:
        self.models = models if isinstance(models, Models) else Models.of(models, settings)
        self.sessions = sessions
        self.settings = settings
        self.limits = limits
        self.ledger = ledger  # a summary is its user's usage too
        self._summarizing: dict[uuid.UUID, asyncio.Task[None]] = {}  # one at a time per conversation

    async def recall(
        self,
        turns: Sequence[Turn],
        message: str,
        max_tokens: int | None,
        conversation_id: uuid.UUID | None = None,
        alongside: Sequence[str] = (),
        reserved_tokens: int = 0,
        model: str | None = None,
    ) -> list[HistoryMessage]:
        """The history to send before `message`: `turns` (oldest first) as they fit the window of `model` (its
        id; unset: the default), after the conversation's stored summary when there is one. `alongside` go with
        them (the user's saved memories), and `reserved_tokens` are taken besides (the definitions of the tools
        offered). No model call."""
        budget = max(0, self._budget(self._upstream(model), max_tokens, [message, *alongside]) - reserved_tokens)
        if tokens_of(turns) <= budget:
            return _as_history(turns)
        stored = await self._stored(conversation_id, turns) if self.settings.MEMORY_SUMMARIES else None
        after = _position_after(turns, stored)
        lead = [summary_message(stored.content)] if stored is not None else []
        room = budget - tokens_of(lead)
        if room <= 0:
            lead, room = [], budget
        start = max(after if lead else 0, newest_that_fit(turns, room))
        return _as_history([*lead, *await newest(turns, len(turns) - start)])

    def summarize_later(
        self,
        identity: Identity,
        conversation_id: uuid.UUID,
        turns: Sequence[Turn],
        max_tokens: int | None,
        model: str | None = None,
        alongside: Sequence[str] = (),
        reserved_tokens: int = 0,
    ) -> None:
        """After an answer: if the branch `turns` (the answer last) nears the window of `model` (the answer's),
        summarise its older turns in the background with that model, unless a summary of this conversation is
        already on its way. `alongside` and `reserved_tokens`: what the prompt carries besides, as `recall` took
        them (else the prompt would drop turns before any summary covered them)."""
        if not self.settings.MEMORY_SUMMARIES or conversation_id in self._summarizing:
            return
        chosen = self.models.find(model)
        budget = max(0, self._budget(chosen.upstream, max_tokens, list(alongside)) - reserved_tokens)
        if not nears(tokens_of(turns), turns, budget):
            return  # cheap check first: even without a summary, far from the window
        task = asyncio.create_task(self._summarize(chosen, identity, conversation_id, turns, max_tokens, budget))
        self._summarizing[conversation_id] = task
        task.add_done_callback(lambda _: self._summarizing.pop(conversation_id, None))

    async def drain(self) -> None:
        """On shutdown: summaries on their way are abandoned (their reservation stays charged)."""
        tasks = list(self._summarizing.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _upstream(self, model: str | None) -> Upstream:
        return self.models.find(model).upstream

    def _budget(self, upstream: Upstream, max_tokens: int | None, fixed: list[str]) -> int:
        settings = self.settings
        return history_budget(
            upstream.window.tokens, max_tokens or settings.DEFAULT_MAX_TOKENS, [settings.SYSTEM_PROMPT, *fixed]
        )

    async def _summarize(
        self,
        model: Model,
        identity: Identity,
        conversation_id: uuid.UUID,
        turns: Sequence[Turn],
        max_tokens: int | None,
        budget: int,
    ) -> None:
        try:
            await self._summarize_if_near(model, identity, conversation_id, turns, max_tokens, budget)
        except Exception:
            logger.warning("a summary failed: the next answers have the newest turns only", exc_info=True)

    async def _summarize_if_near(
        self,
        model: Model,
        identity: Identity,
        conversation_id: uuid.UUID,
        turns: Sequence[Turn],
        max_tokens: int | None,
        budget: int,
    ) -> None:
        settings, upstream = self.settings, model.upstream
        stored = await self._stored(conversation_id, turns)
        after = _position_after(turns, stored)
        lead = [summary_message(stored.content)] if stored is not None else []
        if not nears(tokens_of(lead) + tokens_of(turns[after:]), turns, budget):
            return
        room = budget - settings.SUMMARY_MAX_TOKENS - message_tokens(summary_message("").content)
        keep_from = max(after, newest_that_fit(turns, int(room * KEPT_AFTER_SUMMARY)))
        if keep_from <= after or turns[keep_from - 1].id is None:
            return
        # The request (instructions, transcript) and the summary must fit the window themselves.
        request_room = int(upstream.window.tokens * (1 - ESTIMATE_MARGIN)) - settings.SUMMARY_MAX_TOKENS
        previous = stored.content if stored is not None else None
        text = transcript(previous, turns[after:keep_from], request_room - request_tokens(""))
        prompt = request_tokens(text)
        try:
            grant = await self.limits.charge(identity, prompt + settings.SUMMARY_MAX_TOKENS)
        except ApiError as refused:  # the budget or the rate (or the limits out of reach): no model call
            logger.info("no summary: the user's limits refuse it (%s)", refused.code)
            return
        started, used = time.perf_counter(), 0
        try:
            options = upstream.limited_to(settings.SUMMARY_MAX_TOKENS)
            async with asyncio.timeout(settings.SUMMARY_TIMEOUT_S):
                made = await summarize(upstream.chat, options, text)
            used = made.tokens if made.tokens is not None else prompt + message_tokens(made.text)
        except TimeoutError:
            used = prompt  # the model has read it
            logger.warning("a summary took over %ss: abandoned", settings.SUMMARY_TIMEOUT_S)
            return
        finally:
            await asyncio.shield(self.limits.settle(grant, used))
            if self.ledger is not None and used:
                spent = Spent(input_tokens=min(prompt, used), output_tokens=max(0, used - prompt))
                self.ledger.add(identity.user_id, model.id, spent)
        covered = (stored.covered_messages if stored is not None else 0) + keep_from - after
        logger.info("summarised %d older messages in %.2fs", covered, time.perf_counter() - started)
        last = turns[keep_from - 1].id
        assert last is not None
        await summaries.save(self.sessions, conversation_id, StoredSummary(last, covered, made.text))

    async def _stored(self, conversation_id: uuid.UUID | None, turns: Sequence[Turn]) -> StoredSummary | None:
        if conversation_id is None:
            return None
        branch = [turn.id for turn in turns if turn.id is not None]
        async with self.sessions() as session:
            return await summaries.stored_for(session, conversation_id, branch)


def _position_after(turns: Sequence[Turn], stored: StoredSummary | None) -> int:
    """The index of the first turn a stored summary does not cover (0: none)."""
    if stored is None:
        return 0
    for index, turn in enumerate(turns):
        if turn.id == stored.covers_message_id:
            return index + 1
    return 0


def _as_history(turns: Sequence[Turn]) -> list[HistoryMessage]:
    return [
        HistoryMessage.answered(turn.content, turn.parts)
        if turn.parts
        else HistoryMessage.asked(turn.content, turn.images)
        if turn.images
        else HistoryMessage(role=turn.role, content=turn.content)
        for turn in turns
    ]
