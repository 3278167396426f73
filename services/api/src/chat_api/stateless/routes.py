"""POST /api/chat/stream (text/plain) and POST /api/chat/events (SSE): the stateless routes (no conversation kept)."""

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from chat_api.auth.deps import CurrentUser, current_identity
from chat_api.chat.events import Failed, Finished, Start, TextDelta, TokenUsage
from chat_api.chat.openapi import sse_events, streaming_doc
from chat_api.chat.response import EventStreamResponse
from chat_api.chat.window import Turn
from chat_api.chat.wire import Encoder, PlainText, ServerSentEvents
from chat_api.http.deps import require_json
from chat_api.http.middleware import RequestRecord, record_of
from chat_api.limits.deps import LimitsDep
from chat_api.memory.deps import MemoryDep
from chat_api.stateless.answer import StatelessAnswer
from chat_api.stateless.deps import ChatServiceDep
from chat_api.stateless.validation import ValidChatRequest
from chat_api.storage.models import MessageStatus
from chat_api.telemetry import metrics
from chat_api.usage.ledger import Spent

# What the stateless routes send: an answer's text and usage (no conversation, so no snapshot of one).
STATELESS_EVENTS = sse_events([Start, TextDelta, TokenUsage, Finished, Failed])
# Every route that spends model tokens needs a user (a guest will do).
router = APIRouter(prefix="/api/chat", tags=["chat"], dependencies=[Depends(current_identity), Depends(require_json)])


@dataclass(frozen=True)
class Admitted:
    """A stateless answer the limits have admitted, to stream with either encoder."""

    answer: StatelessAnswer
    record: RequestRecord
    heartbeat_s: float
    end: Callable[[], Awaitable[None]]

    def respond(self, encoder: Encoder) -> EventStreamResponse:
        metrics.active_streams.add(1)
        return EventStreamResponse(self.answer, encoder, self.record, heartbeat_s=self.heartbeat_s, on_end=self.end)


async def admitted(
    request: Request,
    body: ValidChatRequest,
    user: CurrentUser,
    service: ChatServiceDep,
    limits: LimitsDep,
    memory: MemoryDep,
) -> Admitted:
    """The history fitted to the model's window, and the user's limits taken, before any upstream call."""
    record = record_of(request)
    record.message_chars = len(body.message)
    if service.settings.LOG_MESSAGE_TEXT:
        record.message_text = body.message
    turns = [Turn(None, message.role, message.content) for message in body.history]
    history = await memory.recall(turns, body.message, body.options.max_tokens, model=body.model)
    body = body.model_copy(update={"history": history})  # what fits the model's window
    grant = await limits.admit(user, body, record)

    model = service.models.get(body.model).entry

    async def end() -> None:
        used = limits.used(body, record.prompt_tokens, record.completion_tokens, record.chunks)
        await limits.settle(grant, used)
        if limits.ledger is not None:
            output = record.completion_tokens if record.completion_tokens is not None else min(record.chunks, used)
            spent = Spent(input_tokens=max(0, used - output), output_tokens=output, answers=1)
            limits.ledger.add(user.user_id, model.id, spent)
        metrics.active_streams.add(-1)
        metrics.answer_ended(
            service.settings.model_provider(model),
            model.id,
            MessageStatus.ERROR
            if record.error_code
            else MessageStatus.STOPPED
            if record.client_disconnected
            else MessageStatus.DONE,
            record.prompt_tokens,
            record.completion_tokens,
            time.perf_counter() - record.started,
            record.ttft_ms / 1000 if record.ttft_ms is not None else None,
        )

    return Admitted(StatelessAnswer(service, body, record), record, service.settings.HEARTBEAT_S, end)


AdmittedAnswer = Annotated[Admitted, Depends(admitted)]


@router.post(
    "/stream",
    response_class=EventStreamResponse,
    status_code=200,
    responses=streaming_doc(
        "text/plain",
        {"type": "string"},
        "The answer's text, chunked as it is generated. A failure after the first token ends the body "
        "without its terminating chunk, so clients see a failed, not a finished, stream.",
        "## Streaming\n\nTokens arrive one by one...",
    ),
    summary="Stream an answer as plain text",
)
async def chat_stream(answer: AdmittedAnswer) -> EventStreamResponse:
    return answer.respond(PlainText())


@router.post(
    "/events",
    response_class=EventStreamResponse,
    status_code=200,
    responses=streaming_doc(
        "text/event-stream",
        STATELESS_EVENTS,
        "Server-sent events, each with a JSON `data`: `start {request_id, model}`, `delta {text}`, "
        "`usage {prompt_tokens, completion_tokens, total_tokens, reasoning_tokens}`, `done {finish_reason}` "
        "(stop | length | content_filter | cancelled), `error {code, message}`; comment heartbeats "
        "while the model is silent.",
        'event: start\ndata: {"request_id":"3f2a","model":"gpt-4o"}\n\n'
        'event: delta\ndata: {"text":"Hello"}\n\n'
        'event: done\ndata: {"finish_reason":"stop"}\n\n',
    ),
    summary="Stream an answer as typed server-sent events",
)
async def chat_events(answer: AdmittedAnswer) -> EventStreamResponse:
    return answer.respond(ServerSentEvents())
