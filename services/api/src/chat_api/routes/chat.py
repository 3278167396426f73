"""POST /api/chat/stream (text/plain) and POST /api/chat/events (SSE): one streaming core, two encodings."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from chat_api.dependencies import ChatServiceDep, SettingsDep
from chat_api.errors import ApiError
from chat_api.request_context import record_of
from chat_api.schemas import (
    ChatRequest,
    DeltaEvent,
    DoneEvent,
    ErrorEnvelope,
    ErrorEvent,
    StartEvent,
    UsageEvent,
)
from chat_api.settings import Settings
from chat_api.streaming import ChatStreamResponse, Encoder, PlainText, ServerSentEvents


async def require_json(request: Request) -> None:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send the body as JSON (Content-Type: application/json).")


def check_limits(body: ChatRequest, settings: Settings) -> None:
    """Length limits come from settings, so they are checked here rather than in the schema."""

    def fail(field: str, reason: str) -> ApiError:
        return ApiError(422, "invalid_request", f"{field}: {reason}")

    if not body.message.strip():
        raise fail("message", "must not be blank")
    if len(body.message) > settings.MAX_MESSAGE_CHARS:
        raise fail("message", f"must be at most {settings.MAX_MESSAGE_CHARS} characters")
    if len(body.history) > settings.MAX_HISTORY_MESSAGES:
        raise fail("history", f"must have at most {settings.MAX_HISTORY_MESSAGES} messages")
    if sum(len(m.content) for m in body.history) > settings.MAX_HISTORY_CHARS:
        raise fail("history", f"must total at most {settings.MAX_HISTORY_CHARS} characters")
    texts = [
        ("message", body.message),
        *((f"history[{i}].content", m.content) for i, m in enumerate(body.history)),
    ]
    for field, text in texts:
        if "\x00" in text:
            raise fail(field, "must not contain NUL characters")
    max_tokens = body.options.max_tokens
    if max_tokens is not None and max_tokens > settings.MAX_OUTPUT_TOKENS:
        raise fail("options.max_tokens", f"must be at most {settings.MAX_OUTPUT_TOKENS}")


async def valid_chat_request(body: ChatRequest, settings: SettingsDep) -> ChatRequest:
    check_limits(body, settings)
    return body


ValidChatRequest = Annotated[ChatRequest, Depends(valid_chat_request)]

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": description}
    for status, description in {
        400: "Invalid JSON, or the prompt was blocked by the content filter (`content_filtered`).",
        413: "The body is too large (`payload_too_large`).",
        415: "The body is not JSON (`unsupported_media_type`).",
        422: "A field is missing, malformed or over a limit (`invalid_request`); the message names it.",
        429: "The model is rate limited (`upstream_rate_limited`); see `Retry-After`.",
        502: "The model service failed before the first token (`upstream_*`).",
        504: "The model service did not answer in time (`upstream_timeout`).",
    }.items()
}


def _sse_event(name: str, payload: type[BaseModel]) -> dict[str, Any]:
    data = {"type": "string", "contentMediaType": "application/json", "contentSchema": payload.model_json_schema()}
    return {"type": "object", "required": ["event", "data"], "properties": {"event": {"const": name}, "data": data}}


# OpenAPI 3.1 has no schema for a stream as a whole: for text/event-stream, `schema` describes each event.
_SSE_EVENT = {
    "oneOf": [
        _sse_event("start", StartEvent),
        _sse_event("delta", DeltaEvent),
        _sse_event("usage", UsageEvent),
        _sse_event("done", DoneEvent),
        _sse_event("error", ErrorEvent),
    ]
}


def _streaming_doc(
    media_type: str, schema: dict[str, Any], description: str, example: str
) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"description": description, "content": {media_type: {"schema": schema, "example": example}}},
        **_ERRORS,
    }


router = APIRouter(prefix="/api/chat", tags=["chat"], dependencies=[Depends(require_json)])


def _respond(request: Request, body: ChatRequest, service: ChatServiceDep, encoder: Encoder) -> ChatStreamResponse:
    record = record_of(request)
    record.message_chars = len(body.message)
    if service.settings.LOG_MESSAGE_TEXT:
        record.message_text = body.message
    heartbeats = isinstance(encoder, ServerSentEvents)
    return ChatStreamResponse(lambda: service.open(body, heartbeats), encoder, record, service.model)


@router.post(
    "/stream",
    response_class=ChatStreamResponse,
    status_code=200,
    responses=_streaming_doc(
        "text/plain",
        {"type": "string"},
        "The answer's text, chunked as it is generated. A failure after the first token ends the body "
        "without its terminating chunk, so clients see a failed, not a finished, stream.",
        "## Streaming\n\nTokens arrive one by one...",
    ),
    summary="Stream an answer as plain text",
)
async def chat_stream(request: Request, body: ValidChatRequest, service: ChatServiceDep) -> ChatStreamResponse:
    return _respond(request, body, service, PlainText())


@router.post(
    "/events",
    response_class=ChatStreamResponse,
    status_code=200,
    responses=_streaming_doc(
        "text/event-stream",
        _SSE_EVENT,
        "Server-sent events, each with a JSON `data`: `start {request_id, model}`, `delta {text}`, "
        "`usage {prompt_tokens, completion_tokens, total_tokens}`, `done {finish_reason}` "
        "(stop | length | content_filter | cancelled), `error {code, message}`; comment heartbeats "
        "while the model is silent.",
        'event: start\ndata: {"request_id":"3f2a","model":"gpt-4o"}\n\n'
        'event: delta\ndata: {"text":"Hello"}\n\n'
        'event: done\ndata: {"finish_reason":"stop"}\n\n',
    ),
    summary="Stream an answer as typed server-sent events",
)
async def chat_events(request: Request, body: ValidChatRequest, service: ChatServiceDep) -> ChatStreamResponse:
    return _respond(request, body, service, ServerSentEvents())
