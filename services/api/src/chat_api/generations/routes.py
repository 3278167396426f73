"""Sending into a conversation streams the answer (SSE, the events of `/api/chat/events` with ids and message
ids); any process can serve its events again from an id, and Stop it."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field

from chat_api.auth.deps import CurrentUser, current_identity
from chat_api.auth.tokens import Identity
from chat_api.chat.events import Decision
from chat_api.chat.openapi import ANSWER_EVENTS, streaming_doc
from chat_api.chat.response import Batches, EventStreamResponse, Opened
from chat_api.chat.wire import ServerSentEvents
from chat_api.conversations.schemas import NewMessage, Retry, Strict
from chat_api.generations.deps import GenerationsDep, TurnPlannerDep
from chat_api.generations.runner import Generation, Plan
from chat_api.generations.service import Generations
from chat_api.generations.store import Outcome
from chat_api.generations.turns import Planned, Repeat
from chat_api.http.deps import SettingsDep, require_json
from chat_api.http.errors import error_docs
from chat_api.http.middleware import RequestRecord, record_of
from chat_api.limits.deps import LimitsDep
from chat_api.limits.service import Limits
from chat_api.memory.deps import MemoryDep
from chat_api.memory.service import Memory
from chat_api.settings import Settings
from chat_api.storage.models import MessageStatus
from chat_api.titles.deps import TitlesDep
from chat_api.titles.service import Titles

router = APIRouter(tags=["conversations"], dependencies=[Depends(current_identity)])

STREAM_DOC = streaming_doc(
    "text/event-stream",
    ANSWER_EVENTS,
    "Server-sent events with ids: `start {request_id, model, conversation_id, user_message_id, "
    "assistant_message_id}` as soon as the message is accepted (before the model's first token), `delta {text}`, "
    "`usage`, `done {finish_reason}` or `error {code, message}` (a failure of the model before its first token "
    "too; `upstream_incomplete`: its stream ended without finishing); a `snapshot` event (the whole answer as "
    "saved) when its events can no longer be replayed; comment heartbeats.",
    'id: 1\nevent: start\ndata: {"request_id":"3f2a","model":"gpt-4o","conversation_id":"…"}\n\n',
)
CONFLICT = error_docs(
    {
        401: "No valid access token (`unauthorized`).",
        400: "`model` is not an id of `GET /api/models` (`invalid_request`; the message lists them); an image "
        "attached (or, for a retry, on the message asked again) while the model takes none (`vision_unsupported`).",
        404: "No such conversation or message, or not yours (`not_found`).",
        409: "An answer is already being written in this conversation (`conflict`): one at a time.",
    }
)
IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=128, description="Send the same key again (a retried POST) to get the first answer, not a new one."
    ),
]
LastEventId = Annotated[str | None, Header(alias="Last-Event-ID", max_length=64)]


class Stopping(BaseModel):
    status: str


class ApprovalDecision(Strict):
    call_id: str = Field(min_length=1, max_length=128, description="The `call_id` of the `approval_required` event.")
    decision: Decision = Field(
        description="`allow_once`; `allow_conversation` (this tool runs without asking again in this conversation); "
        "`deny` (the model is told the user said no)."
    )


class Decided(BaseModel):
    status: Literal["decided"]


def stream(
    batches: Batches,
    record: RequestRecord,
    generations: Generations,
    settings: Settings,
    generation: Generation | None = None,
) -> EventStreamResponse:
    """An answer's events with their ids: a reader that reconnects with `Last-Event-ID` gets exactly what it
    missed. The reader leaving ends only its own response: the answer goes on. So does this process shutting
    down: with a shared log its readers are let go at once, to follow the answer again elsewhere."""

    def note_attempts() -> None:  # known once the model has answered
        if generation is not None:
            record.upstream_attempts = generation.attempts

    return EventStreamResponse(
        Opened(batches, on_close=note_attempts),
        ServerSentEvents(),
        record,
        heartbeat_s=settings.HEARTBEAT_S,
        let_go_on_shutdown=generations.log.shared,
    )


async def _answer(
    request: Request,
    planned: Planned,
    user: Identity,
    limits: Limits,
    memory: Memory,
    titles: Titles,
    generations: Generations,
    settings: Settings,
) -> EventStreamResponse:
    """Starts the planned turn's answer, once the user's limits admit it (refused: before any upstream call or
    row), and streams it from `start`, sent as soon as its rows exist (a 409 or 404 before). The model may
    take a minute to its first token: the reader sees the answer's ids at once and can stop it; a failure
    before the first token is an `error` event, as after it. Once it has ended, memory summarises the branch
    if it nears the window, and a new conversation's first answer has its title written (each charged to the
    user too)."""
    turn, chat = planned.turn, planned.request
    record = record_of(request)
    tools = generations.tools_for(user, planned)
    if tools is None:
        grant = await limits.admit(user, chat, record)
    else:
        grant = await limits.admit(user, chat, record, calls=2, tools_tokens=generations.tools_tokens)

    def after_end(outcome: Outcome) -> None:
        if outcome.status != MessageStatus.DONE:
            # A stopped or failed turn spends nothing more (and on a server that runs one request at a time a
            # summary would hold up, or cut, the retry that follows): the next answer's end summarises.
            return
        memory.summarize_later(
            user,
            turn.conversation_id,
            planned.with_answer(outcome.content),
            chat.options.max_tokens,
            turn.model,
            [planned.system_prompt] if planned.system_prompt is not None else [],
            planned.reserved_tokens,
        )
        if turn.title is not None:  # the conversation's first answer: its title is the first words so far
            titles.write_later(user, turn.conversation_id, turn.title, turn.content, outcome.content, turn.model)

    plan = Plan(
        turn=turn,
        request=chat,
        request_id=record.request_id,
        grant=grant,
        after_end=after_end,
        owner=user.user_id,
        tools=tools,
        system_prompt=planned.system_prompt,
        sources=planned.sources,
    )
    generation = generations.start(plan)
    await generation.ready
    return stream(generations.log.read(generation.id, None), record, generations, settings, generation)


@router.post(
    "/api/conversations/{conversation_id:uuid}/messages",
    summary="Send a message and stream its answer",
    response_class=EventStreamResponse,
    status_code=200,
    responses={**STREAM_DOC, **CONFLICT},
    dependencies=[Depends(require_json)],
)
async def send_message(
    conversation_id: uuid.UUID,
    body: NewMessage,
    request: Request,
    user: CurrentUser,
    planner: TurnPlannerDep,
    generations: GenerationsDep,
    settings: SettingsDep,
    limits: LimitsDep,
    memory: MemoryDep,
    titles: TitlesDep,
    idempotency_key: IdempotencyKey = None,
) -> EventStreamResponse:
    record = record_of(request)
    record.message_chars = len(body.content)
    parent_given = "parent_id" in body.model_fields_set
    planned = await planner.send(
        user,
        conversation_id,
        body.content,
        body.parent_id,
        parent_given,
        body.options,
        idempotency_key,
        body.model,
        body.attachments,
    )
    if isinstance(planned, Repeat):
        return stream(await generations.repeat(user, planned), record, generations, settings)
    return await _answer(request, planned, user, limits, memory, titles, generations, settings)


@router.post(
    "/api/conversations/{conversation_id:uuid}/messages/{message_id:uuid}/retry",
    summary="Ask again: a new answer beside this one (which stays), streamed",
    response_class=EventStreamResponse,
    status_code=200,
    responses={**STREAM_DOC, **CONFLICT},
    dependencies=[Depends(require_json)],
)
async def retry_answer(
    conversation_id: uuid.UUID,
    message_id: uuid.UUID,
    body: Retry,
    request: Request,
    user: CurrentUser,
    planner: TurnPlannerDep,
    generations: GenerationsDep,
    settings: SettingsDep,
    limits: LimitsDep,
    memory: MemoryDep,
    titles: TitlesDep,
) -> EventStreamResponse:
    planned = await planner.retry(user, conversation_id, message_id, body.options, body.model)
    return await _answer(request, planned, user, limits, memory, titles, generations, settings)


@router.get(
    "/api/generations/{answer_id:uuid}/events",
    summary="An answer's events from any point (Last-Event-ID), then live, to its end",
    response_class=EventStreamResponse,
    status_code=200,
    responses={**STREAM_DOC, **CONFLICT},
)
async def answer_events(
    answer_id: uuid.UUID,
    request: Request,
    user: CurrentUser,
    generations: GenerationsDep,
    settings: SettingsDep,
    last_event_id: LastEventId = None,
) -> EventStreamResponse:
    return stream(await generations.events(user, answer_id, last_event_id), record_of(request), generations, settings)


STOP_ERRORS = error_docs(
    {
        401: "No valid access token (`unauthorized`).",
        404: "No such answer, or not yours (`not_found`).",
        409: "The answer has ended (`conflict`): done, stopped, failed or interrupted; nothing to stop.",
        503: "The server writing the answer could not be reached (`stop_unavailable`): its process died and the "
        "answer is not yet marked interrupted, or Redis is out of reach. The answer may go on: retry after "
        "`Retry-After`.",
    }
)


@router.post(
    "/api/generations/{answer_id:uuid}/stop",
    summary="Stop an answer (it keeps what it has written)",
    description='202 `{"status": "stopping"}` once the server writing the answer has the Stop (it ends '
    "`stopped`, with a `done` event whose `finish_reason` is `cancelled`, within milliseconds).",
    status_code=202,
    responses=STOP_ERRORS,
)
async def stop_answer(answer_id: uuid.UUID, user: CurrentUser, generations: GenerationsDep) -> Stopping:
    return Stopping(status=await generations.stop(user, answer_id))


DECISION_ERRORS = error_docs(
    {
        401: "No valid access token (`unauthorized`).",
        404: "No such answer, or not yours, or no call of it waits for a decision with that id (`not_found`).",
        409: "The answer has ended (`conflict`).",
        503: "The server writing the answer could not be reached (`stop_unavailable`): retry after `Retry-After`.",
    }
)


@router.post(
    "/api/generations/{answer_id:uuid}/approvals",
    summary="Allow or deny a tool call the answer waits on",
    description="An answer pauses at a tool that acts (`approval_required`) until the user decides, from any tab or "
    'device, or its `expires_at` passes (then denied). 202 `{"status": "decided"}` once the server writing the '
    "answer has the decision; an `approval_decided` event follows in the answer.",
    status_code=202,
    responses=DECISION_ERRORS,
    dependencies=[Depends(require_json)],
)
async def decide_approval(
    answer_id: uuid.UUID, body: ApprovalDecision, user: CurrentUser, generations: GenerationsDep
) -> Decided:
    await generations.decide(user, answer_id, body.call_id, body.decision)
    return Decided(status="decided")
