"""Opening a chat completion: build the chat, retry before the first token, wait for it; then relay in batches."""

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import openai
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai import FunctionChoiceBehavior
from semantic_kernel.connectors.ai.open_ai import OpenAIChatPromptExecutionSettings
from semantic_kernel.contents import ChatHistory, ChatMessageContent

from chat_api.chat.context_window import window_in_refusal
from chat_api.chat.events import Failed, Finished, TextDelta, ToolCall
from chat_api.chat.fit import fitted_to
from chat_api.chat.models import Models
from chat_api.chat.reader import ROUND_ENDS, CallsRequested, ChatStream, UpstreamEvent
from chat_api.chat.schemas import ChatRequest
from chat_api.chat.upstream import Upstream, build_history, execution_settings
from chat_api.chat.upstream_errors import context_exceeded, is_retryable, retry_after_seconds, upstream_error
from chat_api.http.errors import ApiError
from chat_api.settings import Settings

logger = logging.getLogger("chat_api.llm")


@dataclass(frozen=True)
class ToolOffer:
    """The tools a round offers the model: a kernel that holds them, and Semantic Kernel's choice of them
    (`FunctionChoiceBehavior.Auto` without auto-invocation, filtered to what the request allows: the runner
    runs the calls itself; `NoneInvoke` for a last round that must answer in words)."""

    kernel: Kernel
    choice: FunctionChoiceBehavior


@dataclass(frozen=True)
class OpenedStream:
    stream: ChatStream
    head: list[UpstreamEvent]  # what arrived up to and including the first token or call (or the end)
    attempts: int


class ChatService:
    def __init__(self, models: Models | Upstream, settings: Settings) -> None:
        """`models`: the registry, or one upstream (the default model alone)."""
        self.models = models if isinstance(models, Models) else Models.of(models, settings)
        self.settings = settings

    @property
    def model(self) -> str:
        """The default model's id."""
        return self.models.default.id

    async def open(
        self,
        request: ChatRequest,
        *,
        system_prompt: str | None = None,
        steps: Sequence[ChatMessageContent] = (),
        tools: ToolOffer | None = None,
        model: str | None = None,
    ) -> OpenedStream:
        """Start the completion and wait for its first token. Failures before it raise `ApiError` (a real
        HTTP status can still be sent), after bounded retries of 429/5xx that honour Retry-After, and one retry
        with the prompt fitted to a smaller window if the server refused it as too long. `steps` are this
        answer's earlier rounds (the model's calls and their results), after the request's message. `model`:
        the id of the model to ask (unset, or no longer configured: the default)."""
        upstream = self.models.find(model).upstream
        system_prompt = self.settings.SYSTEM_PROMPT if system_prompt is None else system_prompt
        history, options = self._prepared(upstream, request, system_prompt, steps, tools)
        extra = {"kernel": tools.kernel} if tools is not None else {}
        refitted = False
        attempt = 0
        while True:
            attempt += 1
            source = upstream.chat.get_streaming_chat_message_contents(history, options, **extra)
            stream = ChatStream(source)
            try:
                head = [await stream.next()]
                while not isinstance(head[-1], TextDelta | ToolCall | Finished | CallsRequested):
                    head.append(await stream.next())
                return OpenedStream(stream, head, attempt)
            except asyncio.CancelledError:
                await stream.aclose()
                raise
            except Exception as exc:
                await stream.aclose()
                refusal = None if refitted else context_exceeded(exc)
                if refusal is not None:
                    refitted = True
                    request = self._fitted(upstream, request, refusal, system_prompt)
                    history, options = self._prepared(upstream, request, system_prompt, steps, tools)
                    continue
                wait = self._retry_wait(exc, attempt - refitted)
                if wait is None:
                    raise exc if isinstance(exc, ApiError) else upstream_error(exc) from exc
                logger.info("upstream failed before the first token; retry %d in %.2fs", attempt, wait)
                await asyncio.sleep(wait)

    def _prepared(
        self,
        upstream: Upstream,
        request: ChatRequest,
        system_prompt: str,
        steps: Sequence[ChatMessageContent],
        tools: ToolOffer | None,
    ) -> tuple[ChatHistory, OpenAIChatPromptExecutionSettings]:
        history = build_history(request, system_prompt)
        for step in steps:
            history.add_message(step)
        options = execution_settings(request, self.settings, upstream.settings_class, upstream.reasoning)
        if tools is not None:
            options.function_choice_behavior = tools.choice
        return history, options

    def _fitted(
        self, upstream: Upstream, request: ChatRequest, refusal: openai.APIStatusError, system_prompt: str
    ) -> ChatRequest:
        """The request cut to the window the server named, smaller than ours (it is remembered for this model's
        next requests too); else to half of ours."""
        window = upstream.window
        assumed, named = window.tokens, window_in_refusal(refusal)
        if named is not None and named < assumed:
            window.lower_to(named)
            smaller = named
        else:
            smaller = assumed // 2
        fitted = fitted_to(request, smaller, system_prompt, self.settings.DEFAULT_MAX_TOKENS)
        logger.warning(
            "the model refused the prompt as too long; retrying once with %d of its %d history messages, "
            "fitted to %d tokens",
            len(fitted.history),
            len(request.history),
            smaller,
        )
        return fitted

    def _retry_wait(self, exc: BaseException, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when this failure must go to the client now."""
        if attempt > self.settings.UPSTREAM_MAX_RETRIES or not is_retryable(exc):
            return None
        limit = self.settings.UPSTREAM_RETRY_MAX_WAIT_S
        retry_after = retry_after_seconds(exc)
        if retry_after is not None:
            return retry_after if retry_after <= limit else None
        backoff: float = min(limit, self.settings.UPSTREAM_RETRY_BASE_S * 2 ** (attempt - 1))
        return backoff * random.uniform(0.75, 1.0)  # noqa: S311 - jitter, not security


RoundEvent = UpstreamEvent | Failed


async def relay_batches(opened: OpenedStream) -> AsyncIterator[list[RoundEvent]]:
    """Every event of an opened stream, its head included, ending with `Finished`, `CallsRequested` or
    `Failed`; in batches of the events that are ready together, so that each batch can go out in one write."""
    batch: list[RoundEvent] = [*opened.head, *opened.stream.ready()]
    while True:
        for position, event in enumerate(batch):
            if isinstance(event, ROUND_ENDS):
                yield batch[: position + 1]
                return
        yield batch
        try:
            batch = [await opened.stream.next(), *opened.stream.ready()]
        except Exception as exc:
            yield [Failed.of(upstream_error(exc))]
            return
