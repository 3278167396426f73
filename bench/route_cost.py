"""What the conversation route costs over the stateless one, measured side by side: one api worker (the image's
gunicorn.conf.py) with Postgres and Redis beside it, sent one stateless answer (`POST /api/chat/events`) and
one message into an empty conversation (`POST /api/conversations/{id}/messages`: the token checked, the
conversation loaded, the limits taken, the turn stored, the live answer written to Redis and read back from
it) in turn, round after round, the order alternating. One run of the stack benchmark differs from the next by
up to a quarter on this machine; sent in turn to the same process, both routes meet the same moment's machine.

Short answers (5 tokens) show what a request costs, long ones (200 tokens, unpaced) what a token costs. CPU is
the worker's own (every thread); time to first token is the client's, request sent to the first answer byte,
straight to the worker (nginx is the same for both). Loopback only.

    uv run --project bench python bench/route_cost.py      (make bench runs it)
    ... --checkout /elsewhere --out /tmp/before.json       (another checkout's api, for before/after)
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from stack_overhead import (
    HOST,
    KEY,
    ROOT,
    api_environment,
    free_port,
    guest_token,
    migrate,
    new_conversations,
    wait_ready,
)
from stores import postgres, redis
from telemetry_cost import cpu_ns, stop, worker_of

ROUTES = ("stateless", "conversation")
SIZES = {"short": 5, "long": 200}  # tokens per answer


def answer(port: int, token: str, route: str, conversation: str, tokens: int) -> float:
    """One answer, read to its end; the time to its first body byte (s)."""
    message = f"Route cost\n@emulator ttft_ms=0 token_ms=0 tokens={tokens}"
    if route == "stateless":
        path, body = "/api/chat/events", {"message": message}
    else:
        path, body = f"/api/conversations/{conversation}/messages", {"content": message}
    request = urllib.request.Request(
        f"http://{HOST}:{port}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback, our own api
        response.read(1)
        first = time.perf_counter() - started
        response.read()
    return first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200, help="answers per route and size")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the checkout whose api to run")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/route-cost.json")
    args = parser.parse_args()
    api_dir = args.checkout / "services/api"

    work = ROOT / "bench/.work"
    subprocess.run(["rm", "-rf", str(work)], check=True)  # noqa: S603, S607 - our own work folder
    work.mkdir(parents=True)
    with ExitStack() as stack:
        stores = {"DATABASE_URL": stack.enter_context(postgres(work)), "REDIS_URL": stack.enter_context(redis(work))}
        migrate(args.checkout, stores)
        emulator_port, api_port = free_port(), free_port()
        log = (work / "processes.log").open("wb")
        started: list[subprocess.Popen[bytes]] = []
        stack.callback(stop, started)
        started.append(subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "emulator", "--host", HOST, "--port", str(emulator_port)],
            env={**os.environ, "EMULATOR_API_KEY": KEY, "EMULATOR_LOG_LEVEL": "WARNING"}, stdout=log, stderr=log,
        ))  # fmt: skip
        api = subprocess.Popen(  # noqa: S603 - the api's own gunicorn, configured as in its image
            [str(api_dir / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "chat_api.main:create_app()"],
            cwd=api_dir, env=api_environment(emulator_port, 1, stores) | {"APP_PORT": str(api_port)},
            stdout=log, stderr=log,
        )  # fmt: skip
        started.append(api)
        wait_ready(f"http://{HOST}:{emulator_port}/healthz")
        wait_ready(f"http://{HOST}:{api_port}/api/readyz")
        worker = worker_of(api)
        token = guest_token(api_port)
        if token is None:
            raise SystemExit("this api has no accounts")
        conversations = iter(new_conversations(api_port, token, 20 + args.rounds * len(SIZES)))
        for _ in range(20):  # warm-up: imports, connections, caches
            for route in ROUTES:
                answer(api_port, token, route, next(conversations) if route == "conversation" else "", 5)
        time.sleep(1)

        spent = {(route, size): 0 for route in ROUTES for size in SIZES}
        firsts: dict[tuple[str, str], list[float]] = {key: [] for key in spent}
        for round_ in range(args.rounds):
            order = ROUTES if round_ % 2 == 0 else ROUTES[::-1]
            for size, tokens in SIZES.items():
                for route in order:
                    conversation = next(conversations) if route == "conversation" else ""
                    before = cpu_ns(worker)
                    firsts[(route, size)].append(answer(api_port, token, route, conversation, tokens))
                    spent[(route, size)] += cpu_ns(worker) - before

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
