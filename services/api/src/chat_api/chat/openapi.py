"""The chat routes' OpenAPI: each SSE event's shape, the error statuses, and the limits set by settings.

The limits are settings (see `stateless.validation.check_limits`), so the pydantic models cannot carry them; without
`document_limits` the schema would call valid what the server refuses, and clients and fuzzers would be misled.
"""

from collections.abc import Iterable
from typing import Any

from pydantic import TypeAdapter

from chat_api.chat.events import AnswerEvent
from chat_api.chat.wire import EVENT_NAMES
from chat_api.http.errors import error_docs
from chat_api.settings import Settings

# What Python's str.isspace() (the blank check) counts as white space, written out: regex engines disagree on
# \s (JavaScript's leaves out U+001C..U+001F, for one).
WHITE_SPACE = "\\t-\\r\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NO_NUL = "^[^\\u0000]*$"
NOT_BLANK_NO_NUL = f"^[^\\u0000]*[^\\u0000{WHITE_SPACE}][^\\u0000]*$"

CHAT_ERRORS = error_docs(
    {
        400: "Invalid JSON, or the prompt was blocked by the content filter (`content_filtered`).",
        401: "No valid access token (`unauthorized`): start a guest session or sign in.",
        413: "The body is too large (`payload_too_large`).",
        415: "The body is not JSON (`unsupported_media_type`).",
        422: "A field is missing, malformed or over a limit (`invalid_request`); the message names it.",
        429: "The model is rate limited (`upstream_rate_limited`); see `Retry-After`.",
        502: "The model service failed before the first token (`upstream_*`).",
        504: "The model service did not answer in time (`upstream_timeout`).",
    }
)


def _inlined(schema: Any, definitions: dict[str, Any]) -> Any:
    """The schema with its `$defs` written out where they are used (a `contentSchema` sits inside the document,
    where `#/$defs/...` would point at its root)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inlined(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions)
        inlined = {key: _inlined(value, definitions) for key, value in schema.items() if key != "$defs"}
        if "discriminator" in schema:  # its mapping names the definitions by `$ref`: the property is enough
            inlined["discriminator"] = {"propertyName": schema["discriminator"]["propertyName"]}
        return inlined
    if isinstance(schema, list):
        return [_inlined(value, definitions) for value in schema]
    return schema


def _sse_event(name: str, kind: type[AnswerEvent]) -> dict[str, Any]:
    schema = TypeAdapter(kind).json_schema()
    schema = _inlined(schema, schema.get("$defs", {}))
    data = {"type": "string", "contentMediaType": "application/json", "contentSchema": schema}
    return {"type": "object", "required": ["event", "data"], "properties": {"event": {"const": name}, "data": data}}


def sse_events(kinds: Iterable[type[AnswerEvent]]) -> dict[str, Any]:
    """OpenAPI 3.1 has no schema for a stream as a whole: for text/event-stream, `schema` describes each event
    (here each of `kinds`, by its name in the wire's table, from its type)."""
    return {"oneOf": [_sse_event(EVENT_NAMES[kind], kind) for kind in kinds]}


ANSWER_EVENTS = sse_events(EVENT_NAMES)  # the conversation routes send every kind


def streaming_doc(
    media_type: str, schema: dict[str, Any], description: str, example: str
) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"description": description, "content": {media_type: {"schema": schema, "example": example}}},
        **CHAT_ERRORS,
    }


def document_limits(schema: dict[str, Any], settings: Settings) -> None:
    models = schema["components"]["schemas"]
    request = models["ChatRequest"]["properties"]
    request["message"].update(
        maxLength=settings.MAX_MESSAGE_CHARS,
        pattern=NOT_BLANK_NO_NUL,
        description="The user's message: not blank, no NUL characters.",
    )
    request["history"].update(
        description="Earlier turns, oldest first. What does not fit the model's context window "
        "(its `context_window` in GET /api/models, the answer's included) is left out, newest kept. "
        "System entries join the system message; turns are sent alternating from the user (two in a row from "
        "one side are merged, a leading assistant turn dropped).",
    )
    models["Message"]["properties"]["content"].update(pattern=NO_NUL)
    # The options this deployment's models take (GET /api/models says the same per model): the others are refused.
    options = models["Options"]["properties"]
    reasoning = {model.reasoning for model in settings.models}
    taken_by_none = {frozenset({True}): ("temperature", "top_p"), frozenset({False}): ("reasoning_effort",)}
    for taken_by_the_other_kind in taken_by_none.get(frozenset(reasoning), ()):
        options.pop(taken_by_the_other_kind, None)
    most = max(model.max_output_tokens or settings.MAX_OUTPUT_TOKENS for model in settings.models)
    for branch in models["Options"]["properties"]["max_tokens"]["anyOf"]:
        if branch.get("type") == "integer":
            branch["maximum"] = most
