"""What tools cost the api, side by side on one worker (the image's gunicorn.conf.py, Postgres and Redis beside
it), answers sent in turn so that every kind meets the same moment's machine:

- `off`: a conversation with its tools switched off (the model is called without tools);
- `offered`: tools offered (their definitions in the request), the model answering without calling one;
- `one round`: the model calls `calculate` once, the api runs it and calls the model again, which quotes it.

Targets (#30): `offered` against `off`, at most 2% more CPU per token and 0.3 ms more to the first token; a tool
round at most 5 ms of api time beyond the tool's own work and the model's: `one round` against `offered` with an
answer of the same length, in api CPU, and in time to the first token (which also holds the emulator's second
reply, ttft_ms=0). Loopback only.

    uv run --project bench python bench/tool_rounds.py      (make bench runs it)
"""

import argparse
import json
import os
import platform
import statistics
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from harness.client import new_conversations
from harness.processes import HOST, ROOT
from harness.worker_api import WorkerApi, cpu_ns, one_worker_api, time_to_first_token

LONG = 200  # tokens: what a token costs
QUOTE = "Tool builtin-calculate said: 2"  # the one-round answer's text (the emulator quotes the result)
KINDS = ("off", "offered", "offered_short", "one_round")


def switch_tools_off(api: WorkerApi, conversation: str) -> None:
    request = urllib.request.Request(
        f"http://{HOST}:{api.port}/api/conversations/{conversation}",
        data=b'{"tools_enabled": false}',
        method="PATCH",
        headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - loopback, our own api
        pass


def message(kind: str, short_tokens: int) -> str:
    if kind == "one_round":
        return 'Tool round\n@emulator call calculate {"expression": "1 + 1"}\n@emulator ttft_ms=0 token_ms=0'
    tokens = short_tokens if kind == "offered_short" else LONG
    return f"Tool cost\n@emulator ttft_ms=0 token_ms=0 tokens={tokens}"


def answer(api: WorkerApi, kind: str, conversation: str, short_tokens: int) -> float:
    path = f"/api/conversations/{conversation}/messages"
    return time_to_first_token(api.port, api.token, path, {"content": message(kind, short_tokens)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=150, help="answers of each kind")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/tool-rounds.json")
    args = parser.parse_args()
    # The one-round answer's length in the emulator's tokens, so that `offered_short` streams as many.
    short_tokens = len(QUOTE.split()) + 4

    with one_worker_api(ROOT) as api:
        conversations = iter(new_conversations(api.port, api.token, (10 + args.rounds) * len(KINDS), "Tool rounds"))

        def conversation_for(kind: str) -> str:
            conversation = next(conversations)
            if kind == "off":
                switch_tools_off(api, conversation)
            return conversation

        for _ in range(10):  # warm-up: imports, connections, caches
            for kind in KINDS:
                answer(api, kind, conversation_for(kind), short_tokens)
        time.sleep(1)
        spent = dict.fromkeys(KINDS, 0)
        firsts: dict[str, list[float]] = {kind: [] for kind in KINDS}
        for round_ in range(args.rounds):
            for kind in KINDS if round_ % 2 == 0 else KINDS[::-1]:
                conversation = conversation_for(kind)  # its PATCH before the CPU is read
                before = cpu_ns(api.worker)
                firsts[kind].append(answer(api, kind, conversation, short_tokens))
                spent[kind] += cpu_ns(api.worker) - before

    cpu_ms = {kind: spent[kind] / args.rounds / 1e6 for kind in KINDS}
    ttft = {kind: statistics.median(firsts[kind]) * 1000 for kind in KINDS}
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}",
        "rounds": args.rounds,
        "cpu_ms_per_answer": {kind: round(value, 3) for kind, value in cpu_ms.items()},
        "ttft_p50_ms": {kind: round(value, 2) for kind, value in ttft.items()},
        "offered_vs_off_cpu_per_token": round(cpu_ms["offered"] / cpu_ms["off"] - 1, 4),
        "offered_vs_off_ttft_ms": round(ttft["offered"] - ttft["off"], 2),
        "tool_round_cpu_ms": round(cpu_ms["one_round"] - cpu_ms["offered_short"], 2),
        "tool_round_ttft_ms": round(ttft["one_round"] - ttft["offered_short"], 2),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
