"""Telemetry's cost, measured side by side: the api with telemetry off, on, and on without Semantic Kernel's
model spans, each one gunicorn worker (the image's gunicorn.conf.py) on its own port, all at once, with the
answers sent to them in turn, round after round (the order rotating). On this machine one run of the stack
benchmark differs from the next by up to a quarter; sent in turn, every variant meets the same moment's
machine, and differences of a few percent show.

Each answer is a message into a conversation (sign-in, Postgres, limits and the live answer in Redis, as the UI
sends it), straight to the worker (no nginx: it is the same for all). Short answers (5 tokens) show what
telemetry costs per request, long ones (200 tokens) what it costs per token. CPU is the worker's own
(/proc/<pid>/schedstat, every thread: the exporters' too); time to first token is the client's, request sent to
the first answer byte. Exporting goes to the e2e tests' OTLP receiver on loopback (it decodes each export).

    uv run --project bench python bench/telemetry_cost.py      (make bench runs it)
"""

import argparse
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from harness.client import guest_token, new_conversations
from harness.processes import HOST, ROOT, free_port, wait_ready
from harness.stack import KEY, api_environment, exporting_to, otlp_receiver
from harness.stores import fresh_work, migrated_stores
from harness.worker_api import cpu_ns, stop, time_to_first_token, worker_of

VARIANTS = {  # name: (telemetry on, the api's environment beyond the common one)
    "off": (False, {}),
    "on": (True, {"TELEMETRY_MODEL_SPANS": "true"}),
    "on, no model spans": (True, {"TELEMETRY_MODEL_SPANS": "false"}),  # the default since 2026-12-06
}
SIZES = {"short": 5, "long": 200}  # tokens per answer
API_DIR = ROOT / "services/api"


def answer(port: int, token: str, conversation: str, tokens: int) -> float:
    """Sends one message (a new root branch, so the model sees one message every time); reads the answer to its
    end. Returns the time to its first body byte (s)."""
    body = {"content": f"Telemetry cost\n@emulator ttft_ms=0 token_ms=0 tokens={tokens}", "parent_id": None}
    return time_to_first_token(port, token, f"/api/conversations/{conversation}/messages", body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=150, help="answers per variant and size")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/telemetry-cost.json")
    args = parser.parse_args()

    work = fresh_work()
    with ExitStack() as stack:
        stores = stack.enter_context(migrated_stores(work, ROOT))
        ports = {"emulator": free_port(), "collector": free_port()}
        started: list[subprocess.Popen[bytes]] = []
        stack.callback(stop, started)
        log = (work / "processes.log").open("wb")
        started.append(subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "emulator", "--host", HOST, "--port", str(ports["emulator"])],
            env={**os.environ, "EMULATOR_API_KEY": KEY, "EMULATOR_LOG_LEVEL": "WARNING"}, stdout=log, stderr=log,
        ))  # fmt: skip
        started.append(otlp_receiver(ports["collector"], ROOT, log))
        common = api_environment(ports["emulator"], 1, stores)
        apis: dict[str, tuple[int, subprocess.Popen[bytes]]] = {}
        for name, (telemetry, extra) in VARIANTS.items():
            port = free_port()
            env = common | extra | {"APP_PORT": str(port)}
            if telemetry:
                env |= exporting_to(ports["collector"])
            process = subprocess.Popen(  # noqa: S603 - the api's own gunicorn, configured as in its image
                [str(API_DIR / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "chat_api.main:create_app()"],
                cwd=API_DIR, env=env, stdout=log, stderr=log,
            )  # fmt: skip
            started.append(process)
            apis[name] = (port, process)
        wait_ready(f"http://{HOST}:{ports['emulator']}/healthz")
        clients = {}
        for name, (port, process) in apis.items():
            wait_ready(f"http://{HOST}:{port}/api/readyz")
            token = guest_token(port)
            if token is None:
                raise SystemExit("this api has no accounts")
            # A conversation per answer: each sent into an empty one (a long one costs more to load).
            conversations = iter(new_conversations(port, token, 20 + args.rounds * len(SIZES), "Telemetry cost"))
            clients[name] = (port, worker_of(process), token, conversations)
            for conversation in itertools.islice(conversations, 20):  # warm-up: imports, connections, caches
                answer(port, token, conversation, SIZES["short"])
        time.sleep(1)

        spent = {(name, size): 0 for name in VARIANTS for size in SIZES}
        firsts: dict[tuple[str, str], list[float]] = {key: [] for key in spent}
        names = list(VARIANTS)
        began = time.monotonic()
        for round_ in range(args.rounds):
            order = names[round_ % len(names) :] + names[: round_ % len(names)]
            for size, tokens in SIZES.items():
                for name in order:
                    port, worker, token, conversations = clients[name]
                    before = cpu_ns(worker)
                    firsts[(name, size)].append(answer(port, token, next(conversations), tokens))
                    spent[(name, size)] += cpu_ns(worker) - before
        wall = time.monotonic() - began

    rows = []
    for size, tokens in SIZES.items():
        for name in VARIANTS:
            cpu_ms = spent[(name, size)] / args.rounds / 1e6
            rows.append({
                "variant": name, "answer": size, "tokens": tokens, "cpu_ms_per_answer": round(cpu_ms, 3),
                "cpu_us_per_token": round(cpu_ms * 1000 / tokens, 1),
                "ttft_p50_ms": round(statistics.median(firsts[(name, size)]) * 1000, 2),
            })  # fmt: skip
    for row in rows:
        off = next(r for r in rows if r["variant"] == "off" and r["answer"] == row["answer"])
        row["cpu_vs_off"] = round(float(row["cpu_ms_per_answer"]) / float(off["cpu_ms_per_answer"]) - 1, 3)
        row["ttft_p50_vs_off_ms"] = round(float(row["ttft_p50_ms"]) - float(off["ttft_p50_ms"]), 2)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}",
        "rounds": args.rounds,
        "wall_s": round(wall, 1),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"Telemetry's cost, {args.rounds} answers per variant and size, sent in turn ({result['date'][:10]}):\n")
    print("| answer | telemetry | api CPU per answer | per token | vs off | TTFT p50 (direct) | vs off |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row['answer']} ({row['tokens']} tokens) | {row['variant']} | {row['cpu_ms_per_answer']:.2f} ms | "
              f"{row['cpu_us_per_token']:.0f} µs | {row['cpu_vs_off']:+.1%} | {row['ttft_p50_ms']:.2f} ms | "
              f"{row['ttft_p50_vs_off_ms']:+.2f} ms |")  # fmt: skip


if __name__ == "__main__":
    main()
