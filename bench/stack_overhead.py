"""Stack overhead: what the api, and nginx in front of it, add to every stream, over talking to the model directly.

Starts on loopback, as processes (no containers, so no Docker port proxy skews the figures): the emulator,
the api under gunicorn with the same gunicorn.conf.py as its image, and Debian's nginx with the product's own
template. Then, for each scenario (concurrency x pacing), drives three paths with the same emulator pacing:
(a) straight to the emulator, (b) to the api, (c) through nginx to the api. A raw-socket client on uvloop,
pinned to one core, records for every stream the time to first body byte, every gap between reads, bytes,
errors; /proc gives each process's CPU time and memory. Loopback only; every scenario is bounded by its stream
count. Results: JSON and CSV in bench/results/ (plot them with plot_stack_overhead.py).

    uv run --project bench python bench/stack_overhead.py      (or: make bench)
    ... --checkout /elsewhere --label before                    (another checkout's api and nginx, for before/after)
    ... --only paced:1,unpaced:100 --repeat 3                   (some scenarios only, each measured 3 times)
"""

import argparse
import asyncio
import csv
import itertools
import json
import os
import platform
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import uvloop

from harness.client import guest_token, new_conversations
from harness.processes import HOST, ROOT, busy_per_core, cpu_seconds, process_tree, rss_mb
from harness.stack import KEY, SYSTEM_PROMPT, Stack, running_stack
from harness.statistics import percentile
from harness.stores import fresh_work, migrated_stores

WARM_UP_CLIENTS = 4
PACED = {"token_ms": 20, "tokens": 50}  # what a user feels: 50 tokens/s, one second per answer
UNPACED = {"token_ms": 0, "tokens": 200}  # capacity: as fast as the stack can relay
SCENARIOS = [  # (pacing name, concurrency, streams)
    ("paced", 1, 20),
    ("paced", 10, 50),
    ("paced", 100, 200),
    ("paced", 500, 500),
    ("paced", 1000, 1000),
    ("unpaced", 1, 40),
    ("unpaced", 10, 100),
    ("unpaced", 100, 300),
    ("unpaced", 500, 500),
    ("unpaced", 1000, 1000),
]


# --- the client ----------------------------------------------------------------------------------------------


@dataclass
class StreamResult:
    ttfb: float | None = None  # request sent -> first body byte
    # request sent -> first token (its marker): on the conversation route `start` comes before the model's first
    # token, so the first body byte is not the first token there
    first_token: float | None = None
    gaps: list[float] = field(default_factory=list)  # between body reads
    total: float = 0.0
    body_bytes: int = 0
    reads: int = 0  # body reads: fewer than tokens when the stack sends several tokens in one write
    token_times: list[float] = field(default_factory=list)  # when each token arrived (counted by its marker)
    error: str | None = None


@dataclass(frozen=True)
class Target:
    name: str
    port: int
    path: str
    headers: dict[str, str]
    token_marker: bytes | None  # bytes that occur once per token in the body (None: tokens cannot be told apart)
    # The conversation route: each concurrent client has its own conversation (one answer at a time in each).
    conversations: list[str] = field(default_factory=list)

    def path_for(self, client: int) -> str:
        if not self.conversations:
            return self.path
        return self.path.format(conversation=self.conversations[client])

    def body(self, pacing: dict[str, int], index: int) -> bytes:
        directive = f"@emulator ttft_ms=0 token_ms={pacing['token_ms']} tokens={pacing['tokens']}"
        message = f"Benchmark question {index}\n{directive}"
        if self.conversations:
            # Each message edits the first (a new root branch): the model sees one message, as on the other routes.
            return json.dumps({"content": message, "parent_id": None}).encode()
        if self.name == "emulator":
            messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": message}]
            payload: dict[str, object] = {
                "messages": messages,
                "stream": True,
                "stream_options": {"include_usage": True},
            }
        else:
            payload = {"message": message}
        return json.dumps(payload).encode()


async def one_stream(target: Target, body: bytes, path: str) -> StreamResult:
    result = StreamResult()
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection(HOST, target.port)
        head = "".join(f"{k}: {v}\r\n" for k, v in target.headers.items())
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n{head}"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        header = await reader.readuntil(b"\r\n\r\n")
        status = int(header.split(b" ", 2)[1])
        last = None
        marker, tail = target.token_marker, b""
        while chunk := await reader.read(65536):
            now = time.perf_counter()
            if marker:  # (the tail keeps a marker split across two reads; it is too short to hold a whole one)
                seen = tail + chunk
                result.token_times.extend([now] * seen.count(marker))
                if result.first_token is None and result.token_times:
                    result.first_token = now - started
                tail = seen[1 - len(marker) :]
            if last is None:
                result.ttfb = now - started
            else:
                result.gaps.append(now - last)
            last = now
            result.body_bytes += len(chunk)
            result.reads += 1
        writer.close()
        if status != 200:
            result.error = f"HTTP {status}"
    except (OSError, asyncio.IncompleteReadError, ValueError) as error:
        result.error = type(error).__name__
    result.total = time.perf_counter() - started
    return result


async def drive(target: Target, pacing: dict[str, int], concurrency: int, streams: int) -> list[StreamResult]:
    indices = iter(range(streams))
    results: list[StreamResult] = []

    async def client(number: int) -> None:
        for index in indices:
            results.append(await one_stream(target, target.body(pacing, index), target.path_for(number)))

    await asyncio.gather(*(client(number) for number in range(concurrency)))
    return results


# --- measuring -----------------------------------------------------------------------------------------------


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


def lateness(result: StreamResult, pace_s: float) -> list[float]:
    """How far behind the model's schedule each token arrived: the k-th token is due k paces after the first."""
    times = result.token_times
    return [arrived - (times[0] + k * pace_s) for k, arrived in enumerate(times)]


def measure(
    stack: Stack, target: Target, pacing_name: str, concurrency: int, streams: int, run: int = 1
) -> dict[str, object]:
    pacing = PACED if pacing_name == "paced" else UNPACED
    groups = {
        "emulator": process_tree(stack.emulator.pid),
        "api": stack.api_pids(),
        "nginx": process_tree(stack.nginx.pid),
        **({"collector": process_tree(stack.collector.pid)} if stack.collector else {}),
    }
    before = {name: cpu_seconds(pids) for name, pids in groups.items()}
    cores_before = busy_per_core()
    client_before, wall_before = time.process_time(), time.perf_counter()
    results = uvloop.run(drive(target, pacing, concurrency, streams))
    wall = time.perf_counter() - wall_before
    client_cpu = time.process_time() - client_before
    cpu = {name: cpu_seconds(pids) - before[name] for name, pids in groups.items()}
    cores_busy = [(b1 - b0) / max(1, t1 - t0) for (b0, t0), (b1, t1) in zip(cores_before, busy_per_core(), strict=True)]

    ok = [r for r in results if r.error is None]
    chunks = pacing["tokens"] * len(ok)
    gaps = [gap for r in ok for gap in r.gaps]
    ttfbs = [first for r in ok if (first := r.first_token if r.first_token is not None else r.ttfb) is not None]
    late = [value for r in ok for value in lateness(r, pacing["token_ms"] / 1000)] if pacing["token_ms"] else []
    row: dict[str, object] = {
        "path": target.name,
        "pacing": pacing_name,
        "concurrency": concurrency,
        "run": run,
        "streams": streams,
        "errors": len(results) - len(ok),
        "error_kinds": sorted({r.error for r in results if r.error}),
        "ttft_p50_ms": ms(percentile(ttfbs, 0.5)),
        "ttft_p99_ms": ms(percentile(ttfbs, 0.99)),
        "gap_p50_ms": ms(percentile(gaps, 0.5)),
        "gap_p99_ms": ms(percentile(gaps, 0.99)),
        "token_lag_p50_ms": ms(percentile(late, 0.5)),
        "token_lag_p99_ms": ms(percentile(late, 0.99)),
        "stream_p50_s": round(statistics.median([r.total for r in ok]), 3) if ok else None,
        "stream_p99_s": round(percentile([r.total for r in ok], 0.99) or 0, 3) if ok else None,
        "bytes_per_stream": round(statistics.mean([r.body_bytes for r in ok])) if ok else None,
        "tokens_per_read": round(chunks / max(1, sum(r.reads for r in ok)), 2),
        "wall_s": round(wall, 3),
        "chunks_per_s": round(chunks / wall),
        "cpu_s": {name: round(value, 3) for name, value in cpu.items()},
        "client_cpu_s": round(client_cpu, 3),
        "client_core_busy": round(client_cpu / wall, 2),  # near 1.0 would make the client the bottleneck
        "cores_busy": [round(share, 2) for share in cores_busy],  # the whole machine, every process
    }
    if target.name != "emulator" and chunks:
        row["api_cpu_us_per_chunk"] = round(cpu["api"] / chunks * 1e6, 1)
    if target.name == "nginx" and chunks:
        row["nginx_cpu_us_per_chunk"] = round(cpu["nginx"] / chunks * 1e6, 1)
    row["api_worker_rss_mb"] = [round(rss_mb(pid), 1) for pid in stack.api_workers()]
    return row


def added(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """What (b) api and (c) nginx + api add over (a) the emulator alone, scenario by scenario (and run by run)."""
    direct = {(r["pacing"], r["concurrency"], r["run"]): r for r in rows if r["path"] == "emulator"}
    summary = []
    for row in rows:
        base = direct.get((row["pacing"], row["concurrency"], row["run"]))
        if row["path"] == "emulator" or base is None:
            continue
        entry: dict[str, object] = {key: row[key] for key in ("path", "pacing", "concurrency", "run")}
        for key in ("ttft_p50_ms", "ttft_p99_ms", "gap_p50_ms", "gap_p99_ms", "token_lag_p99_ms"):
            mine, theirs = row[key], base[key]
            entry[f"added_{key}"] = (
                round(mine - theirs, 2) if isinstance(mine, float) and isinstance(theirs, float) else None
            )
        entry["errors"] = row["errors"]
        entry["api_cpu_us_per_chunk"] = row.get("api_cpu_us_per_chunk")
        summary.append(entry)
    return summary


CSV_COLUMNS = [
    "path", "pacing", "concurrency", "run", "streams", "errors", "ttft_p50_ms", "ttft_p99_ms", "gap_p50_ms",
    "gap_p99_ms", "token_lag_p50_ms", "token_lag_p99_ms", "stream_p50_s", "stream_p99_s", "tokens_per_read",
    "chunks_per_s", "api_cpu_us_per_chunk", "nginx_cpu_us_per_chunk", "client_core_busy",
]  # fmt: skip


def write_csv(rows: list[dict[str, object]], out: Path) -> None:
    with out.open("w", newline="") as file:
        writer = csv.DictWriter(file, CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def chosen(only: str | None) -> list[tuple[str, int, int]]:
    if not only:
        return SCENARIOS
    wanted = {(pacing, int(concurrency)) for pacing, concurrency in (item.split(":") for item in only.split(","))}
    return [scenario for scenario in SCENARIOS if scenario[:2] in wanted]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="api workers (WEB_CONCURRENCY) per replica")
    parser.add_argument(
        "--replicas", type=int, default=1, help="api replicas behind nginx (then (b), one replica alone, is left out)"
    )
    parser.add_argument("--only", help="scenarios as pacing:concurrency, comma-separated (default: all)")
    parser.add_argument("--repeat", type=int, default=1, help="measure each scenario this many times")
    parser.add_argument(
        "--route",
        choices=["events", "stream", "conversation"],
        default="events",
        help="the api route to drive: the stateless /api/chat/events or /stream, or a message sent into a "
        "conversation (sign-in, database, live answer in Redis: Postgres and Redis run beside it)",
    )
    parser.add_argument(
        "--telemetry", action="store_true", help="the api with telemetry on, exporting to an OTLP receiver on loopback"
    )
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the checkout whose api and nginx to run")
    parser.add_argument("--label", default="current", help="names this run in the results (e.g. before)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/stack-overhead.json")
    args = parser.parse_args()

    work = fresh_work()
    rows: list[dict[str, object]] = []
    with ExitStack() as stores:
        stores_env = None
        if args.route == "conversation":
            stores_env = stores.enter_context(migrated_stores(work, args.checkout))
        stack = stores.enter_context(
            running_stack(work, args.workers, args.checkout, stores_env, args.telemetry, args.replicas)
        )
        # The client keeps to one core; the servers, started before this (affinity is inherited), may use all.
        cores = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cores[-1]})
        idle_rss = [round(rss_mb(pid), 1) for pid in stack.api_workers()]
        # Azure sends content filter results with each content chunk only; the api's SSE has a delta per token.
        api_marker = b"event: delta\n" if args.route in ("events", "conversation") else None
        token = guest_token(stack.ports["api"])
        signed_in = {"Authorization": f"Bearer {token}"} if token else {}  # a route that spends the model needs a user
        path, conversations = f"/api/chat/{args.route}", []
        if args.route == "conversation":  # one conversation per concurrent client (one answer at a time each)
            if token is None:
                sys.exit("this api has no accounts: the conversation route needs round 2's api")
            largest = max((concurrency for _, concurrency, _ in chosen(args.only)), default=1)
            path, conversations = (
                "/api/conversations/{conversation}/messages",
                new_conversations(stack.ports["api"], token, max(largest, WARM_UP_CLIENTS)),
            )
        targets = [
            Target("emulator", stack.ports["emulator"], "/openai/deployments/chat/chat/completions?api-version="
                   "2024-10-21", {"api-key": KEY}, b'"protected_material_code"'),
            Target("api", stack.ports["api"], path, signed_in, api_marker, conversations),
            Target("nginx", stack.ports["nginx"], path, signed_in, api_marker, conversations),
        ]  # fmt: skip
        if args.replicas > 1:
            targets = [target for target in targets if target.name != "api"]
        for target in targets:  # warm-up: imports, connections, JIT of nothing, caches of everything
            uvloop.run(drive(target, PACED | {"token_ms": 0}, WARM_UP_CLIENTS, 8))
        for pacing, concurrency, streams in chosen(args.only):
            for run, target in itertools.product(range(1, args.repeat + 1), targets):
                row = measure(stack, target, pacing, concurrency, streams, run)
                rows.append(row)
                print(json.dumps({k: row[k] for k in ("path", "pacing", "concurrency", "errors", "ttft_p50_ms",
                                                       "gap_p99_ms", "token_lag_p99_ms", "tokens_per_read",
                                                       "chunks_per_s", "api_cpu_us_per_chunk")
                                  if k in row}), flush=True)  # fmt: skip

    result = {
        "label": args.label,
        "route": "/api/conversations/{id}/messages" if args.route == "conversation" else f"/api/chat/{args.route}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}",
        "api_replicas": args.replicas,
        "api_workers": args.workers,
        "telemetry": args.telemetry,
        "api_worker_rss_idle_mb": idle_rss,
        "paced": PACED,
        "unpaced": UNPACED,
        "added": added(rows),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    write_csv(rows, args.out.with_suffix(".csv"))
    print(json.dumps(result["added"], indent=1))


if __name__ == "__main__":
    main()
