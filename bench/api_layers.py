"""Where the api's time goes: the same streamed answers read through each layer of its streaming path in turn.

Layers, each on top of the one before: (1) the HTTP client alone (httpx2, as the openai SDK uses it), (2) the
openai SDK (`AsyncAzureOpenAI`), (3) Semantic Kernel (`AzureChatCompletion`), (4) the api's streaming core
(`ChatService.open` and `relay_batches`, with its reading task and queue). The emulator runs in its own process,
pinned to one core; this process, pinned to the other, reads answers one after another through each layer and
measures its own CPU time. What a layer adds is its figure minus the one before. (What the server, FastAPI and
nginx add on top is stack_overhead.py's part.) Loopback only; bounded by the request counts below.

    uv run --project bench python bench/api_layers.py      (or: make bench)
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import openai
import uvloop
from chat_api.chat.schemas import ChatRequest
from chat_api.chat.service import ChatService, relay_batches
from chat_api.chat.upstream import build_history, execution_settings, open_upstream
from chat_api.settings import Settings
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionStreamOptionsParam

from harness.processes import HOST, free_port, wait_ready

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-key"
API_VERSION = "2024-10-21"
# (name, tokens per answer, ms between tokens, answers): per-token cost when every token is a read of its own
# (paced, as a model streams), when tokens arrive faster than they are parsed (bursts), and per-request cost.
REGIMES = [("paced", 100, 2, 20), ("burst", 200, 0, 40), ("one token", 1, 0, 200)]

Layer = Callable[[str], Awaitable[float | None]]  # reads one answer; returns the seconds to its first token
CONTENT_CHUNK = b'"protected_material_code"'  # Azure sends these filter results with content chunks only
USAGE: ChatCompletionStreamOptionsParam = {"include_usage": True}  # as Semantic Kernel asks


def message(tokens: int, token_ms: int, index: int) -> str:
    return f"Layer question {index}\n@emulator ttft_ms=0 token_ms={token_ms} tokens={tokens}"


def layers(
    settings: Settings, service: ChatService, client: openai.AsyncAzureOpenAI, http: httpx2.AsyncClient
) -> dict[str, Layer]:
    url = f"{settings.AZURE_OPENAI_ENDPOINT}openai/deployments/chat/chat/completions?api-version={API_VERSION}"

    async def http_client(text: str) -> float | None:
        body = {"messages": [{"role": "user", "content": text}], "stream": True, "stream_options": USAGE}
        started, first = time.perf_counter(), None
        async with http.stream("POST", url, json=body, headers={"api-key": KEY}) as response:
            async for chunk in response.aiter_raw():
                if first is None and CONTENT_CHUNK in chunk:
                    first = time.perf_counter() - started
        return first

    async def openai_sdk(text: str) -> float | None:
        started, first = time.perf_counter(), None
        messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": text}]
        stream = await client.chat.completions.create(
            model="chat", messages=messages, stream=True, stream_options=USAGE
        )
        async for chunk in stream:
            if first is None and chunk.choices and chunk.choices[0].delta.content:
                first = time.perf_counter() - started
        return first

    async def semantic_kernel(text: str) -> float | None:
        request = ChatRequest(message=text, model=None)
        history = build_history(request, settings.SYSTEM_PROMPT)
        options = execution_settings(request, settings, service.models.default.upstream.settings_class)
        started, first = time.perf_counter(), None
        async for batch in service.models.default.upstream.chat.get_streaming_chat_message_contents(history, options):
            if first is None and any(message.content for message in batch):
                first = time.perf_counter() - started
        return first

    async def streaming_core(text: str) -> float | None:
        started = time.perf_counter()
        opened = await service.open(ChatRequest(message=text, model=None))
        first = time.perf_counter() - started
        try:
            async for _ in relay_batches(opened):
                pass
        finally:
            await opened.stream.aclose()
        return first

    return {
        "1 HTTP client (httpx2)": http_client,
        "2 + openai SDK": openai_sdk,
        "3 + Semantic Kernel": semantic_kernel,
        "4 + api streaming core": streaming_core,
    }


async def measure(settings: Settings) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    async with open_upstream(settings) as upstream, httpx2.AsyncClient() as http:
        service = ChatService(upstream, settings)
        client = upstream.chat.client
        if not isinstance(client, openai.AsyncAzureOpenAI):
            raise TypeError(f"expected the api's AsyncAzureOpenAI client, found {type(client).__name__}")
        readers = layers(settings, service, client, http)
        for regime, tokens, token_ms, answers in REGIMES:
            for name, read in readers.items():
                for index in range(5):  # warm-up: imports, connections, caches
                    await read(message(tokens, token_ms, index))
                cpu_before = time.process_time()
                firsts = [await read(message(tokens, token_ms, index)) for index in range(answers)]
                cpu = time.process_time() - cpu_before
                rows.append({
                    "regime": regime, "layer": name, "tokens": tokens, "token_ms": token_ms, "answers": answers,
                    "cpu_us_per_token": round(cpu / (answers * tokens) * 1e6, 1),
                    "cpu_ms_per_answer": round(cpu / answers * 1e3, 2),
                    "ttft_p50_ms": round(statistics.median(f for f in firsts if f is not None) * 1e3, 3),
                })  # fmt: skip
                print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/api-layers.json")
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    port = free_port()
    emulator = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "emulator", "--host", HOST, "--port", str(port)],
        env={**os.environ, "EMULATOR_API_KEY": KEY, "EMULATOR_LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        os.sched_setaffinity(emulator.pid, {cores[0]})
        os.sched_setaffinity(0, {cores[-1]})
        wait_ready(f"http://{HOST}:{port}/healthz")
        settings = Settings.model_validate({
            "AZURE_OPENAI_ENDPOINT": f"http://{HOST}:{port}",
            "AZURE_OPENAI_DEPLOYMENT": "chat",
            "AZURE_OPENAI_API_KEY": KEY,
            "AZURE_OPENAI_API_VERSION": API_VERSION,
        })  # fmt: skip
        rows = uvloop.run(measure(settings))
    finally:
        emulator.terminate()  # by PID: only what this script started
        emulator.wait(timeout=10)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}",
        "regimes": {name: {"tokens": t, "token_ms": ms, "answers": n} for name, t, ms, n in REGIMES},
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
