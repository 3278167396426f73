"""Titles: after a new conversation's first answer has ended `done` (its end already sent), the model is asked
for a title in the background, apart from any HTTP response (the client leaving changes nothing); the
conversation keeps the first words of its first message until then, and for good when the call is refused by
the user's limits, fails, times out or says nothing (logged).

The call is the user's usage, as a summary is: reserved before the call (refused: no model call), settled to
the model's count, added to the ledger under the model that wrote it."""

import asyncio
import logging
import uuid

from chat_api.auth.tokens import Identity
from chat_api.chat.models import Model, Models
from chat_api.chat.tokens import message_tokens
from chat_api.http.errors import ApiError
from chat_api.limits.service import Limits
from chat_api.settings import Settings
from chat_api.storage.engine import Sessions
from chat_api.titles.store import save_unless_renamed
from chat_api.titles.writer import MAX_TOKENS, REASONING_MAX_TOKENS, ask_for_title, cleaned, request_tokens, transcript
from chat_api.usage.ledger import Spent, UsageLedger

logger = logging.getLogger("chat_api.titles")

TIMEOUT_S = 20.0  # a title is a few tokens: one that takes longer is not coming


class Titles:
    def __init__(
        self,
        models: Models,
        sessions: Sessions,
        settings: Settings,
        limits: Limits,
        ledger: UsageLedger | None = None,
    ) -> None:
        self.models = models
        self.sessions = sessions
        self.settings = settings
        self.limits = limits
        self.ledger = ledger
        self._writing: set[asyncio.Task[None]] = set()

    def write_later(
        self,
        identity: Identity,
        conversation_id: uuid.UUID,
        first_words: str,
        question: str,
        answer: str,
        model: str | None,
    ) -> None:
        """After the first answer (`answer` to `question`, by `model`) of a conversation titled `first_words`:
        a title from TITLES_MODEL (unset: `model`), in the background. Nothing when TITLES_BY_MODEL is off."""
        if not self.settings.TITLES_BY_MODEL:
            return
        writer = self.models.find(self.settings.TITLES_MODEL or model)
        task = asyncio.create_task(
            self._write(writer, identity, conversation_id, first_words, transcript(question, answer)),
            name=f"title-{conversation_id}",
        )
        self._writing.add(task)
        task.add_done_callback(self._writing.discard)

    async def drain(self) -> None:
        """On shutdown: titles on their way are abandoned (the first words stay; their reservation stays
        charged)."""
        tasks = list(self._writing)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _write(
        self, model: Model, identity: Identity, conversation_id: uuid.UUID, first_words: str, text: str
    ) -> None:
        try:
            title = await self._ask(model, identity, text)
            if title is None:
                return
            if not await save_unless_renamed(self.sessions, conversation_id, first_words, title):
                logger.info("a written title was not saved: the conversation was renamed or deleted meanwhile")
        except Exception:
            logger.warning("no title written: the conversation keeps its first words", exc_info=True)

    async def _ask(self, model: Model, identity: Identity, text: str) -> str | None:
        """The model's title for the transcript `text`, charged to the user; None when refused or empty."""
        upstream = model.upstream
        budget = REASONING_MAX_TOKENS if upstream.reasoning else MAX_TOKENS
        prompt = request_tokens(text)
        try:
            grant = await self.limits.charge(identity, prompt + budget)
        except ApiError as refused:  # the budget or the rate (or the limits out of reach): no model call
            logger.info("no title written: the user's limits refuse it (%s)", refused.code)
            return None
        used = 0
        try:
            async with asyncio.timeout(TIMEOUT_S):
                reply = await ask_for_title(upstream.chat, upstream.limited_to(budget), text)
            used = reply.tokens if reply.tokens is not None else prompt + message_tokens(reply.text)
        except TimeoutError:
            used = prompt  # the model has read it
            logger.warning("a title took over %ss: abandoned, the conversation keeps its first words", TIMEOUT_S)
            return None
        finally:
            await asyncio.shield(self.limits.settle(grant, used))
            if self.ledger is not None and used:
                spent = Spent(input_tokens=min(prompt, used), output_tokens=max(0, used - prompt))
                self.ledger.add(identity.user_id, model.id, spent)
        title = cleaned(reply.text)
        if title is None:
            logger.info("no title written: the model's reply had none")
        return title
