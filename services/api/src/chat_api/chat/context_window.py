"""The model's context window: from the settings, else learnt at start from an OpenAI-compatible server that
says it, else a fallback; and lowered when the server refuses a prompt as too long and says its real size.

A local server's window is often 4k-32k tokens, far below a hosted model's: a guess of 128k sends prompts it
cannot hold. Each server says it in its own place:
- vLLM: `GET /v1/models`, `data[].max_model_len` (the served model's entry);
- llama.cpp (llama-server): `GET /props`, `default_generation_settings.n_ctx` (the window of one slot);
- Ollama: `POST /api/show {"model"}`, `num_ctx` in `parameters` when the model sets one, else
  `model_info["<architecture>.context_length"]` (what it was trained for).
"""

import logging
import re
from dataclasses import dataclass
from typing import Any, Final

import httpx2
import openai

from chat_api.chat.model_entries import ModelEntry
from chat_api.settings import CONTEXT_WINDOW_FALLBACK, Settings

logger = logging.getLogger("chat_api.llm")

PROBE_TIMEOUT_S: Final = 3.0
_NUM_CTX: Final = re.compile(r"^\s*num_ctx\s+(\d+)\s*$", re.MULTILINE)
# The window a refusal names: Azure/OpenAI and vLLM ("maximum context length is 4096 tokens"), llama.cpp
# ("exceeds the available context size (4096 tokens)"; its body also carries `n_ctx`).
_WINDOW_IN_MESSAGE: Final = re.compile(r"(?:maximum context length is|available context size \()\s*(\d+)\s*tokens")
_TOO_LONG_IN_MESSAGE: Final = re.compile(r"maximum context length|context size|context length|context window", re.I)


@dataclass
class ContextWindow:
    """Tokens the model holds, prompt and answer together; `source` says where that figure came from."""

    tokens: int
    source: str

    def lower_to(self, tokens: int) -> None:
        if tokens < self.tokens:
            logger.warning("the model's context window is %d tokens (it said so), not %d", tokens, self.tokens)
            self.tokens, self.source = tokens, "the server's refusal"


async def learn_context_window(settings: Settings, entry: ModelEntry | None = None) -> ContextWindow:
    """The window of the model `entry` (unset: the default) from its MODELS entry, else CONTEXT_WINDOW_TOKENS,
    else from the server (OpenAI-compatible route only), else the fallback; one log line says which."""
    entry = entry or settings.models[0]
    if entry.context_window is not None:
        source = "CONTEXT_WINDOW_TOKENS" if settings.MODELS is None else "MODELS"
        window = ContextWindow(entry.context_window, source)
    elif settings.CONTEXT_WINDOW_TOKENS is not None:  # the operator's window for every model that names none
        window = ContextWindow(settings.CONTEXT_WINDOW_TOKENS, "CONTEXT_WINDOW_TOKENS")
    else:
        # Azure and OpenAI's own API do not say; a server at OPENAI_BASE_URL may.
        asking = settings.model_provider(entry) == "openai" and settings.OPENAI_BASE_URL is not None
        learnt = await _ask_the_server(settings, entry.upstream_name) if asking else None
        window = learnt or ContextWindow(CONTEXT_WINDOW_FALLBACK, "the fallback (set CONTEXT_WINDOW_TOKENS)")
    logger.info("context window of %s: %d tokens, from %s", entry.id, window.tokens, window.source)
    return window


async def _ask_the_server(settings: Settings, model: str) -> ContextWindow | None:
    base = str(settings.OPENAI_BASE_URL).rstrip("/")
    root = base.removesuffix("/v1")
    key = settings.OPENAI_API_KEY
    headers = {"Authorization": f"Bearer {key.get_secret_value()}"} if key is not None else {}
    timeout = min(PROBE_TIMEOUT_S, settings.UPSTREAM_TIMEOUT_S)
    async with httpx2.AsyncClient(headers=headers, timeout=timeout) as http:
        probes = (
            ("vLLM's /v1/models", http.build_request("GET", f"{base}/models"), _from_vllm),
            ("llama.cpp's /props", http.build_request("GET", f"{root}/props"), _from_llama_cpp),
            ("Ollama's /api/show", http.build_request("POST", f"{root}/api/show", json={"model": model}), _from_ollama),
        )
        for name, request, read in probes:
            try:
                response = await http.send(request)
                tokens = read(response.json(), model) if response.status_code == 200 else None
            except (httpx2.HTTPError, ValueError):
                continue
            if tokens is not None:
                return ContextWindow(tokens, f"the server ({name})")
    return None


def _positive(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _from_vllm(body: Any, model: str) -> int | None:
    entries = body.get("data") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        return None
    windows = {
        entry.get("id"): _positive(entry.get("max_model_len"))
        for entry in entries
        if isinstance(entry, dict) and _positive(entry.get("max_model_len"))
    }
    return windows.get(model) or (next(iter(windows.values())) if len(windows) == 1 else None)


def _from_llama_cpp(body: Any, _: str) -> int | None:
    settings = body.get("default_generation_settings") if isinstance(body, dict) else None
    return _positive(settings.get("n_ctx")) if isinstance(settings, dict) else None


def _from_ollama(body: Any, _: str) -> int | None:
    if not isinstance(body, dict):
        return None
    parameters = body.get("parameters")
    if isinstance(parameters, str) and (match := _NUM_CTX.search(parameters)):
        return _positive(int(match.group(1)))
    info = body.get("model_info")
    if not isinstance(info, dict):
        return None
    architecture = info.get("general.architecture")
    return _positive(info.get(f"{architecture}.context_length"))


def is_context_exceeded(error: BaseException) -> bool:
    """The server refused the prompt as longer than its window: Azure/OpenAI's `context_length_exceeded`,
    llama.cpp's `exceed_context_size_error` (or its older 500 "Context size has been exceeded."), vLLM's 400
    "This model's maximum context length is ..."."""
    if not isinstance(error, openai.APIStatusError) or error.status_code not in (400, 413, 500):
        return False
    if error.code == "context_length_exceeded" or getattr(error, "type", None) == "exceed_context_size_error":
        return True
    return bool(_TOO_LONG_IN_MESSAGE.search(_message(error)))


def window_in_refusal(error: openai.APIStatusError) -> int | None:
    """The window the refusal names, if it does."""
    body = error.body
    if isinstance(body, dict) and (n_ctx := _positive(body.get("n_ctx"))):
        return n_ctx
    match = _WINDOW_IN_MESSAGE.search(_message(error))
    return int(match.group(1)) if match else None


def _message(error: openai.APIStatusError) -> str:
    body = error.body
    message = body.get("message") if isinstance(body, dict) else None
    return message if isinstance(message, str) else str(error.message)
