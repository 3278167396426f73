"""What kind of model a deployment is, and which server the emulator imitates on its OpenAI-compatible route.

A reasoning deployment (Azure's o-series, the gpt-5 family) refuses `max_tokens`, a `temperature` or `top_p`
other than 1, with the service's own 400 bodies; it takes `max_completion_tokens` and `reasoning_effort`, spends
reasoning tokens before it answers (counted in `max_completion_tokens` and reported in
`usage.completion_tokens_details.reasoning_tokens`). Any other deployment refuses `reasoning_effort`.

With a context window set, a prompt that does not fit is refused the way the imitated server refuses it, and
that server's own endpoint reports the window: llama.cpp's `GET /props`, vLLM's `GET /v1/models`, Ollama's
`POST /api/show`.
"""

import time
from typing import Any, Final, Literal

import orjson

from emulator.protocol import ChatCompletionRequest, error_body

Server = Literal["azure", "llama.cpp", "vllm", "ollama"]

# Reasoning tokens spent before the answer, by effort (deterministic, so tests can count them).
REASONING_TOKENS: Final = {"minimal": 0, "low": 8, "medium": 32, "high": 128}
DEFAULT_EFFORT: Final = "medium"
TRAINED_CONTEXT: Final = 131_072  # what the imitated model was trained for; reported when no window is set


class Refusal(Exception):
    """A 400 the service sends, with its exact body."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(body.decode())
        self.status = status
        self.body = body


def _unsupported_parameter(name: str, instead: str | None = None) -> Refusal:
    message = f"Unsupported parameter: '{name}' is not supported with this model."
    if instead is not None:
        message += f" Use '{instead}' instead."
    return Refusal(400, error_body("unsupported_parameter", message, type="invalid_request_error", param=name))


def _unsupported_value(name: str, value: float) -> Refusal:
    shown = int(value) if float(value).is_integer() else value
    message = (
        f"Unsupported value: '{name}' does not support {shown} with this model. Only the default (1) value is "
        "supported."
    )
    return Refusal(400, error_body("unsupported_value", message, type="invalid_request_error", param=name))


def check_parameters(chat: ChatCompletionRequest, reasoning: bool) -> None:
    """Raise the service's 400 for a parameter this kind of model refuses."""
    effort = chat.reasoning_effort
    if not reasoning:
        if effort is not None:
            raise _unsupported_parameter("reasoning_effort")
        return
    if chat.max_tokens is not None:
        raise _unsupported_parameter("max_tokens", "max_completion_tokens")
    for name in ("temperature", "top_p"):
        value = getattr(chat, name)
        if value is not None and value != 1:
            raise _unsupported_value(name, value)
    if effort is not None and effort not in REASONING_TOKENS:
        message = (
            f"Invalid value: '{effort}'. Supported values are: 'minimal', 'low', 'medium', and 'high'."
            if isinstance(effort, str)
            else "Invalid type for 'reasoning_effort': expected one of 'minimal', 'low', 'medium', or 'high'."
        )
        raise Refusal(400, error_body("invalid_value", message, type="invalid_request_error", param="reasoning_effort"))


def reasoning_tokens(chat: ChatCompletionRequest) -> int:
    effort = chat.reasoning_effort
    return REASONING_TOKENS[effort if isinstance(effort, str) else DEFAULT_EFFORT]  # checked already


def check_context(server: Server, window: int | None, prompt_tokens: int, completion_limit: int | None) -> None:
    """Refuse a prompt longer than `window` as the imitated server does (Ollama truncates it silently instead)."""
    if window is None:
        return
    asked = prompt_tokens + (completion_limit or 0)
    match server:
        case "azure" if asked > window:
            if completion_limit:
                detail = (
                    f"However, you requested {asked} tokens ({prompt_tokens} in the messages, {completion_limit} "
                    "in the completion). Please reduce the length of the messages or completion."
                )
            else:
                detail = (
                    f"However, your messages resulted in {prompt_tokens} tokens. Please reduce the length of the "
                    "messages."
                )
            message = f"This model's maximum context length is {window} tokens. {detail}"
            raise Refusal(
                400,
                error_body("context_length_exceeded", message, type="invalid_request_error", param="messages"),
            )
        case "vllm" if asked > window:
            message = (
                f"This model's maximum context length is {window} tokens. However, you requested {asked} tokens "
                f"({prompt_tokens} in the messages, {completion_limit or 0} in the completion). Please reduce the "
                "length of the messages or completion."
            )
            body = {"object": "error", "message": message, "type": "BadRequestError", "param": None, "code": 400}
            raise Refusal(400, orjson.dumps(body))
        case "llama.cpp" if prompt_tokens > window:  # llama.cpp checks the prompt; the answer stops at the window
            message = (
                f"request ({prompt_tokens} tokens) exceeds the available context size ({window} tokens), try "
                "increasing it"
            )
            error = {
                "code": 400,
                "message": message,
                "type": "exceed_context_size_error",
                "n_prompt_tokens": prompt_tokens,
                "n_ctx": window,
            }
            raise Refusal(400, orjson.dumps({"error": error}))
        case _:
            return


# --- what each server says about its model ------------------------------------------------------------------


def models_list(server: Server, names: list[str], window: int | None) -> dict[str, Any] | None:
    """`GET /v1/models` as the imitated server answers it (Azure's resource has no such route here)."""
    created = int(time.time())
    match server:
        case "vllm":
            return {
                "object": "list",
                "data": [
                    {
                        "id": name,
                        "object": "model",
                        "created": created,
                        "owned_by": "vllm",
                        "root": name,
                        "parent": None,
                        "max_model_len": window or TRAINED_CONTEXT,
                        "permission": [],
                    }
                    for name in names
                ],
            }
        case "llama.cpp":  # the trained context only (`meta.n_ctx_train`): the served window is in /props
            entry = {"id": names[0], "object": "model", "created": created, "owned_by": "llamacpp"}
            return {"object": "list", "data": [{**entry, "meta": {"n_ctx_train": TRAINED_CONTEXT}}]}
        case "ollama":
            return {
                "object": "list",
                "data": [{"id": name, "object": "model", "created": created, "owned_by": "library"} for name in names],
            }
        case _:
            return None


def llama_cpp_props(name: str, window: int | None) -> dict[str, Any]:
    """llama-server's `GET /props`: `default_generation_settings.n_ctx` is one slot's window."""
    return {
        "default_generation_settings": {
            "id": 0,
            "n_ctx": window or TRAINED_CONTEXT,
            "speculative": False,
            "is_processing": False,
        },
        "total_slots": 1,
        "model_alias": name,
        "model_path": f"/models/{name}.gguf",
        "modalities": {"vision": False, "audio": False},
        "build_info": "b0000-emulator",
    }


def ollama_show(name: str, window: int | None) -> dict[str, Any]:
    """Ollama's `POST /api/show`: the model's own `<architecture>.context_length`, and `num_ctx` in `parameters`
    when its Modelfile sets the served window."""
    show: dict[str, Any] = {
        "modelfile": f"FROM {name}\n" + (f"PARAMETER num_ctx {window}\n" if window else ""),
        "template": "{{ .Prompt }}",
        "details": {"format": "gguf", "family": "llama", "parameter_size": "3.2B", "quantization_level": "Q4_K_M"},
        "model_info": {
            "general.architecture": "llama",
            "general.parameter_count": 3212749888,
            "llama.context_length": TRAINED_CONTEXT,
        },
        "capabilities": ["completion"],
    }
    if window:
        show["parameters"] = f"num_ctx                        {window}"
    return show
