"""Memory: the history each prompt carries, within the model's context window. While the whole branch fits,
all of it; once it does not, a summary of the older turns (made once, stored, reused until more turns fall
out of the window) and the newest turns. A summary that fails or takes too long never holds up the answer:
that request gets the newest turns that fit (with the last good summary, if any), and a summary still on its
way is saved for the next one."""

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence

from chat_api.chat.schemas import Message as HistoryMessage
from chat_api.chat.tokens import message_tokens
from chat_api.chat.upstream import Upstream
from chat_api.memory import summaries
from chat_api.memory.summaries import StoredSummary
from chat_api.memory.summarizer import newest, summarize, summary_message
from chat_api.memory.window import KEPT_AFTER_SUMMARY, Turn, history_budget, newest_that_fit, tokens_of
from chat_api.settings import Settings
from chat_api.storage.engine import Sessions

logger = logging.getLogger("chat_api.memory")


class Memory:
    def __init__(self, upstream: Upstream, sessions: Sessions, settings: Settings) -> None:
        self.upstream = upstream
        self.sessions = sessions
        self.settings = settings
        self._summarizing: dict[object, asyncio.Task[str]] = {}  # one at a time per branch point

    async def recall(
        self, turns: Sequence[Turn], message: str, max_tokens: int | None, conversation_id: uuid.UUID | None = None
    ) -> list[HistoryMessage]:
        """The history to send before `message`: `turns` (oldest first) as they fit. With a conversation, its
        summaries are used and made; without one (a stateless client's history), summaries are made only when
        STATELESS_SUMMARIES says so, and never stored."""
        settings = self.settings
        budget = history_budget(
            self.upstream.window.tokens,
            max_tokens or settings.DEFAULT_MAX_TOKENS,
            [settings.SYSTEM_PROMPT, message],
        )
        if tokens_of(turns) <= budget:
            return _as_history(turns)
        summaries_on = settings.MEMORY_SUMMARIES and (conversation_id is not None or settings.STATELESS_SUMMARIES)
        if not summaries_on:
            return _as_history(await newest(turns, len(turns) - newest_that_fit(turns, budget)))
        stored = await self._stored(conversation_id, turns)
        after = _position_after(turns, stored)
        if (
            stored is not None
            and message_tokens(summary_message(stored.content).content) + tokens_of(turns[after:]) <= budget
        ):
            return _as_history([summary_message(stored.content), *turns[after:]])
        room = budget - settings.SUMMARY_MAX_TOKENS - message_tokens(summary_message("").content)
        keep_from = max(after, newest_that_fit(turns, int(room * KEPT_AFTER_SUMMARY)))
        if keep_from > after:
            text = await self._summary(conversation_id, stored, turns, after, keep_from)
            if text is not None:
                return _as_history([summary_message(text), *turns[keep_from:]])
        return await self._truncated(turns, after, stored, budget)

    async def _stored(self, conversation_id: uuid.UUID | None, turns: Sequence[Turn]) -> StoredSummary | None:
        if conversation_id is None:
            return None
        branch = [turn.id for turn in turns if turn.id is not None]
        async with self.sessions() as session:
            return await summaries.stored_for(session, conversation_id, branch)

    async def _summary(
        self,
        conversation_id: uuid.UUID | None,
        stored: StoredSummary | None,
        turns: Sequence[Turn],
        after: int,
        keep_from: int,
    ) -> str | None:
        """A new summary of the turns before `keep_from`, within SUMMARY_TIMEOUT_S, or None."""
        key = (conversation_id, turns[keep_from - 1].id) if conversation_id is not None else object()
        task = self._summarizing.get(key)
        if task is None:
            task = asyncio.create_task(self._make(conversation_id, stored, turns, after, keep_from))
            self._summarizing[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))
        try:
            return await asyncio.wait_for(asyncio.shield(task), self.settings.SUMMARY_TIMEOUT_S)
        except TimeoutError:
            logger.warning(
                "the summary took over %ss: this answer has the newest turns only (the summary is kept when it comes)",
                self.settings.SUMMARY_TIMEOUT_S,
            )
        except Exception as error:  # the model failed: the next request tries again
            logger.warning("the summary failed (%s): this answer has the newest turns only", type(error).__name__)
        return None

    def _forget(self, key: object, done: asyncio.Task[str]) -> None:
        self._summarizing.pop(key, None)
        if not done.cancelled():
            done.exception()  # retrieved: a waiter has logged it, or (late) the next request tries again

    async def _make(
        self,
        conversation_id: uuid.UUID | None,
        stored: StoredSummary | None,
        turns: Sequence[Turn],
        after: int,
        keep_from: int,
    ) -> str:
        started = time.perf_counter()
        options = self.upstream.limited_to(self.settings.SUMMARY_MAX_TOKENS)
        previous = stored.content if stored is not None else None
        text = await summarize(self.upstream.chat, options, previous, turns[after:keep_from], turns[keep_from:])
        covered = (stored.covered_messages if stored is not None else 0) + keep_from - after
        logger.info("summarised %d older messages in %.2fs", covered, time.perf_counter() - started)
        last = turns[keep_from - 1].id
        if conversation_id is not None and last is not None:
            await summaries.save(self.sessions, conversation_id, StoredSummary(last, covered, text))
        return text

    async def _truncated(
        self, turns: Sequence[Turn], after: int, stored: StoredSummary | None, budget: int
    ) -> list[HistoryMessage]:
        """The newest turns that fit, after the last good summary when it still fits beside them."""
        lead = [summary_message(stored.content)] if stored is not None else []
        room = budget - tokens_of(lead)
        if room <= 0:
            lead, room = [], budget
        start = max(after if lead else 0, newest_that_fit(turns, room))
        return _as_history([*lead, *await newest(turns, len(turns) - start)])


def _position_after(turns: Sequence[Turn], stored: StoredSummary | None) -> int:
    """The index of the first turn a stored summary does not cover (0: none)."""
    if stored is None:
        return 0
    for index, turn in enumerate(turns):
        if turn.id == stored.covers_message_id:
            return index + 1
    return 0


def _as_history(turns: Sequence[Turn]) -> list[HistoryMessage]:
    return [HistoryMessage(role=turn.role, content=turn.content) for turn in turns]
