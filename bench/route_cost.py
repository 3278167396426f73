"""What the conversation route costs over the stateless one, measured side by side: one api worker (the image's
gunicorn.conf.py) with Postgres and Redis beside it, sent one stateless answer (`POST /api/chat/events`) and
one message into an empty conversation (`POST /api/conversations/{id}/messages`: the token checked, the
conversation loaded, the limits taken, the turn stored, the live answer written to Redis and read back from
it) in turn, round after round, the order alternating. One run of the stack benchmark differs from the next by
up to a quarter on this machine; sent in turn to the same process, both routes meet the same moment's machine.

The conversations are made with a title, as a user may name one: a new conversation's first answer otherwise
asks the model for a title after its end (a second model call, once per conversation, not part of what the
route costs an answer); `--model-titles` leaves them untitled to measure that too. `--setting KEY=VALUE` sets
the api's environment (e.g. TOOLS_ENABLED=false).

Short answers (5 tokens) show what a request costs, long ones (200 tokens, unpaced) what a token costs. CPU is
the worker's own (every thread); time to first token is the client's, request sent to the first answer byte,
straight to the worker (nginx is the same for both). Loopback only.

    uv run --project bench python bench/route_cost.py      (make bench runs it)
    ... --checkout /elsewhere --out /tmp/before.json       (another checkout's api, for before/after)
    ... --model-titles --setting TOOLS_ENABLED=false        (first answers titled by the model; no tools)
"""

import argparse
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from harness.client import new_conversations
from harness.processes import ROOT
from harness.worker_api import WorkerApi, cpu_ns, one_worker_api, time_to_first_token

ROUTES = ("stateless", "conversation")
SIZES = {"short": 5, "long": 200}  # tokens per answer


def answer(api: WorkerApi, route: str, conversation: str, tokens: int) -> float:
    """One answer, read to its end; the time to its first body byte (s)."""
    message = f"Route cost\n@emulator ttft_ms=0 token_ms=0 tokens={tokens}"
    if route == "stateless":
        return time_to_first_token(api.port, api.token, "/api/chat/events", {"message": message})
    return time_to_first_token(api.port, api.token, f"/api/conversations/{conversation}/messages", {"content": message})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200, help="answers per route and size")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the checkout whose api to run")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/route-cost.json")
    parser.add_argument("--model-titles", action="store_true", help="untitled conversations: the model titles each")
    parser.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE", help="the api's environment")
    args = parser.parse_args()
    settings = dict(setting.split("=", 1) for setting in args.setting)
    title = None if args.model_titles else "Route cost"

    with one_worker_api(args.checkout, settings=settings) as api:
        conversations = iter(new_conversations(api.port, api.token, 20 + args.rounds * len(SIZES), title))
        for _ in range(20):  # warm-up: imports, connections, caches
            for route in ROUTES:
                answer(api, route, next(conversations) if route == "conversation" else "", 5)
        time.sleep(1)

        spent = {(route, size): 0 for route in ROUTES for size in SIZES}
        firsts: dict[tuple[str, str], list[float]] = {key: [] for key in spent}
        for round_ in range(args.rounds):
            order = ROUTES if round_ % 2 == 0 else ROUTES[::-1]
            for size, tokens in SIZES.items():
                for route in order:
                    conversation = next(conversations) if route == "conversation" else ""
                    before = cpu_ns(api.worker)
                    firsts[(route, size)].append(answer(api, route, conversation, tokens))
                    spent[(route, size)] += cpu_ns(api.worker) - before

    rows = []
    for size, tokens in SIZES.items():
        for route in ROUTES:
            cpu_ms = spent[(route, size)] / args.rounds / 1e6
            rows.append({
                "route": route, "answer": size, "tokens": tokens, "cpu_ms_per_answer": round(cpu_ms, 3),
                "cpu_us_per_token": round(cpu_ms * 1000 / tokens, 1),
                "ttft_p50_ms": round(statistics.median(firsts[(route, size)]) * 1000, 2),
            })  # fmt: skip
    for row in rows:
        base = next(r for r in rows if r["route"] == "stateless" and r["answer"] == row["answer"])
        row["cpu_vs_stateless"] = round(float(row["cpu_ms_per_answer"]) / float(base["cpu_ms_per_answer"]) - 1, 3)
        row["ttft_p50_vs_stateless_ms"] = round(float(row["ttft_p50_ms"]) - float(base["ttft_p50_ms"]), 2)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}",
        "rounds": args.rounds,
        "model_titles": args.model_titles,
        "settings": settings,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"The conversation route against the stateless one, {args.rounds} answers each, in turn "
        f"({result['date'][:10]}):\n"
    )
    print("| answer | route | api CPU per answer | per token | vs stateless | TTFT p50 (direct) | vs stateless |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row['answer']} ({row['tokens']} tokens) | {row['route']} | {row['cpu_ms_per_answer']:.2f} ms | "
              f"{row['cpu_us_per_token']:.0f} µs | {row['cpu_vs_stateless']:+.1%} | {row['ttft_p50_ms']:.2f} ms | "
              f"{row['ttft_p50_vs_stateless_ms']:+.2f} ms |")  # fmt: skip


if __name__ == "__main__":
    main()
