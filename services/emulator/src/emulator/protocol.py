"""Azure OpenAI's chat-completions wire format: the request it accepts, the chunks and errors it sends.

Field names, nesting and ordering follow what Azure OpenAI sends (API versions 2024-10-21 and later), so the
official SDKs parse these bodies exactly as they parse Azure's.
"""

import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

# Parameters Azure accepts that the emulator takes and ignores (they do not change its replies).
IGNORED_PARAMETERS = frozenset(
    {
        "audio",
        "data_sources",
        "frequency_penalty",
        "function_call",
        "functions",
        "logit_bias",
        "logprobs",
        "metadata",
        "modalities",
        "prediction",
        "presence_penalty",
        "prompt_cache_key",
        "response_format",
        "safety_identifier",
        "seed",
        "service_tier",
        "stop",
        "store",
        "top_logprobs",
        "user",
        "user_security_context",
        "verbosity",
    }
)


class ImageUrl(BaseModel):
    model_config = ConfigDict(extra="allow")
    url: str
    detail: Literal["auto", "low", "high"] = "auto"


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None
    image_url: ImageUrl | None = None


class FunctionCall(BaseModel):
    name: str
    arguments: str


class MessageToolCall(BaseModel):
    """A call the assistant made, as a later request carries it back."""

    model_config = ConfigDict(extra="allow")
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, refusal...
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    tool_calls: list[MessageToolCall] | None = None
    tool_call_id: str | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text or "" for part in self.content if part.type == "text")
        return self.content or ""


class FunctionDefinition(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,64}$")
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class ToolDefinition(BaseModel):
    type: Literal["function"]
    function: FunctionDefinition


class FunctionName(BaseModel):
    name: str


class NamedToolChoice(BaseModel):
    type: Literal["function"]
    function: FunctionName


ToolChoice = Literal["none", "auto", "required"] | NamedToolChoice


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    messages: list[ChatMessage] = Field(min_length=1)
    model: str | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    n: int | None = Field(None, ge=1, le=1, description="The emulator answers with one choice only.")
    reasoning_effort: object = None  # checked against the deployment's kind (models.check_parameters)
    tools: list[ToolDefinition] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None

    @model_validator(mode="after")
    def _reject_unknown_parameters(self) -> "ChatCompletionRequest":
        unknown = sorted(set(self.model_extra or {}) - IGNORED_PARAMETERS)
        if unknown:
            raise ValueError(f"Unrecognized request argument supplied: {unknown[0]}")
        if self.stream_options is not None and not self.stream:
            raise ValueError("The 'stream_options' parameter is only allowed when 'stream' is enabled.")
        return self

    @property
    def include_usage(self) -> bool:
        return self.stream and self.stream_options is not None and self.stream_options.include_usage

    @property
    def token_limit(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens


class BadRequest(ValueError):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


def parse_request(body: bytes) -> ChatCompletionRequest:
    try:
        return ChatCompletionRequest.model_validate_json(body)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        if error["type"] == "json_invalid":
            raise BadRequest("We could not parse the JSON body of your request.") from None
        param = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"])
        param = param.lstrip(".")
        message = error["msg"].removeprefix("Value error, ")
        raise BadRequest(f"Invalid value for '{param}': {message}" if param else message, param or None) from None


# --- content filter results -------------------------------------------------------------------------------

_SAFE = {"filtered": False, "severity": "safe"}
_NOT_DETECTED = {"filtered": False, "detected": False}
PROMPT_FILTER_OK = {
    "hate": _SAFE,
    "jailbreak": _NOT_DETECTED,
    "self_harm": _SAFE,
    "sexual": _SAFE,
    "violence": _SAFE,
}
PROMPT_FILTER_HIT = {**PROMPT_FILTER_OK, "violence": {"filtered": True, "severity": "medium"}}
COMPLETION_FILTER_OK = {
    "hate": _SAFE,
    "protected_material_code": _NOT_DETECTED,
    "protected_material_text": _NOT_DETECTED,
    "self_harm": _SAFE,
    "sexual": _SAFE,
    "violence": _SAFE,
}
COMPLETION_FILTER_HIT = {**COMPLETION_FILTER_OK, "violence": {"filtered": True, "severity": "medium"}}


# --- error bodies -----------------------------------------------------------------------------------------


def error_body(code: str | None, message: str, **extra: Any) -> bytes:
    return orjson.dumps({"error": {"code": code, "message": message, **extra}})


def invalid_request(message: str, param: str | None) -> bytes:
    return error_body(None, message, type="invalid_request_error", param=param)


UNAUTHORIZED_KEY = error_body(
    "401",
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource.",
)
UNAUTHORIZED_TOKEN = error_body(
    "401",
    "Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com),"
    " or have expired.",
)
DEPLOYMENT_NOT_FOUND = error_body(
    "DeploymentNotFound",
    "The API deployment for this resource does not exist. If you created the deployment within the last "
    "5 minutes, please wait a moment and try again.",
)
RESOURCE_NOT_FOUND = error_body("404", "Resource not found")
SERVER_ERROR = error_body(
    None,
    "The server had an error while processing your request. Sorry about that!",
    type="server_error",
    param=None,
)
SERVICE_UNAVAILABLE = error_body(
    "ServiceUnavailable", "The service is temporarily unable to process your request. Please try again later."
)
TIMEOUT = error_body("Timeout", "The operation was timeout.")
PROMPT_FILTERED = error_body(
    "content_filter",
    "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. "
    "Please modify your prompt and retry.",
    type=None,
    param="prompt",
    status=400,
    innererror={"code": "ResponsibleAIPolicyViolation", "content_filter_result": PROMPT_FILTER_HIT},
)


INSUFFICIENT_QUOTA = error_body(
    "insufficient_quota",
    "You exceeded your current quota, please check your plan and billing details. For more information on this "
    "error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
    type="insufficient_quota",
    param=None,
)


def rate_limited(api_version: str, retry_after: float) -> bytes:
    return error_body(
        "429",
        f"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version {api_version} have "
        f"exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after "
        f"{max(1, round(retry_after))} seconds.",
    )


# --- completions --------------------------------------------------------------------------------------------


def usage(prompt_tokens: int, answer_tokens: int, reasoning_tokens: int = 0) -> dict[str, Any]:
    """As the service counts: `completion_tokens` includes the reasoning tokens, which its details break out."""
    completion_tokens = answer_tokens + reasoning_tokens
    return {
        "completion_tokens": completion_tokens,
        "completion_tokens_details": {
            "reasoning_tokens": reasoning_tokens,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
            "audio_tokens": 0,
        },
        "prompt_tokens": prompt_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "total_tokens": prompt_tokens + completion_tokens,
    }


@dataclass(frozen=True)
class ToolCall:
    """A call the emulated model makes: its arguments as the fragments they stream in."""

    id: str
    name: str
    fragments: tuple[str, ...]

    @property
    def arguments(self) -> str:
        return "".join(self.fragments)


class Completion:
    """The identity of one completion, and the bodies Azure sends for it.

    ``azure=False`` is the OpenAI-compatible flavour: the same chunks without Azure's content-filter fields
    (no first chunk with ``prompt_filter_results``, no ``content_filter_results`` on choices)."""

    def __init__(self, model: str, include_usage: bool, azure: bool = True) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex[:29]}"
        self.created = int(time.time())
        self.model = model
        self.include_usage = include_usage
        self.azure = azure
        self.fingerprint = "fp_" + uuid.uuid5(uuid.NAMESPACE_DNS, model).hex[:10]

    def _chunk(self, choices: list[dict[str, Any]], **extra: Any) -> bytes:
        body = {
            "choices": choices,
            "created": self.created,
            "id": self.id,
            "model": self.model,
            "object": "chat.completion.chunk",
            "system_fingerprint": self.fingerprint,
            **extra,
        }
        if self.include_usage:
            body.setdefault("usage", None)
        return b"data: " + orjson.dumps(body) + b"\n\n"

    def _choice(self, delta: dict[str, Any], finish_reason: str | None, filters: dict[str, Any]) -> dict[str, Any]:
        choice: dict[str, Any] = {"delta": delta, "finish_reason": finish_reason, "index": 0, "logprobs": None}
        if self.azure:
            choice["content_filter_results"] = filters
        return choice

    def prompt_filter_chunk(self) -> bytes:
        """Azure's first chunk carries only the prompt's filter results: empty choices, empty identity."""
        if not self.azure:
            return b""
        body = {
            "choices": [],
            "created": 0,
            "id": "",
            "model": "",
            "object": "",
            "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": PROMPT_FILTER_OK}],
        }
        return b"data: " + orjson.dumps(body) + b"\n\n"

    def role_chunk(self) -> bytes:
        delta = {"content": "", "refusal": None, "role": "assistant"}
        return self._chunk([self._choice(delta, None, {})])

    def content_chunk(self, text: str) -> bytes:
        return self._chunk([self._choice({"content": text}, None, COMPLETION_FILTER_OK)])

    def tool_call_chunk(self, index: int, call: ToolCall, with_role: bool) -> bytes:
        """A call begins: its id, type and name, and empty arguments (the role too, when nothing came before)."""
        started = {"function": {"arguments": "", "name": call.name}, "id": call.id, "index": index, "type": "function"}
        delta: dict[str, Any] = {"tool_calls": [started]}
        if with_role:
            delta = {"content": None, "role": "assistant", **delta}
        return self._chunk([self._choice(delta, None, {})])

    def arguments_chunk(self, index: int, fragment: str) -> bytes:
        """A fragment of a call's arguments: only the call's index with it, as Azure sends them."""
        delta = {"tool_calls": [{"function": {"arguments": fragment}, "index": index}]}
        return self._chunk([self._choice(delta, None, {})])

    def finish_chunk(self, reason: str) -> bytes:
        filters = COMPLETION_FILTER_HIT if reason == "content_filter" else {}
        return self._chunk([self._choice({}, reason, filters)])

    def usage_chunk(self, prompt_tokens: int, answer_tokens: int, reasoning_tokens: int = 0) -> bytes:
        return self._chunk([], usage=usage(prompt_tokens, answer_tokens, reasoning_tokens))

    def body(
        self,
        text: str,
        reason: str | None,
        prompt_tokens: int,
        answer_tokens: int,
        reasoning_tokens: int = 0,
        calls: tuple[ToolCall, ...] = (),
    ) -> bytes:
        message: dict[str, Any] = {"content": (text or None) if calls else text, "refusal": None, "role": "assistant"}
        if calls:
            message["tool_calls"] = [
                {"function": {"arguments": call.arguments, "name": call.name}, "id": call.id, "type": "function"}
                for call in calls
            ]
        choice: dict[str, Any] = {"finish_reason": reason, "index": 0, "logprobs": None, "message": message}
        body: dict[str, Any] = {
            "choices": [choice],
            "created": self.created,
            "id": self.id,
            "model": self.model,
            "object": "chat.completion",
            "system_fingerprint": self.fingerprint,
            "usage": usage(prompt_tokens, answer_tokens, reasoning_tokens),
        }
        if self.azure:
            choice["content_filter_results"] = (
                COMPLETION_FILTER_HIT if reason == "content_filter" else COMPLETION_FILTER_OK
            )
            body["prompt_filter_results"] = [{"prompt_index": 0, "content_filter_results": PROMPT_FILTER_OK}]
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


STREAM_DONE = b"data: [DONE]\n\n"
STREAM_ERROR = b"event: error\ndata: " + SERVER_ERROR + b"\n\n"
