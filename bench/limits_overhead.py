"""Limit checks: what admitting a send costs its time to first token (one Lua script in Redis, before the
upstream call), against a private Redis (Debian's, on a Unix socket as in `harness/stores.py`; compose reaches Redis
over its network, a little slower). Alone, and with 100 senders each sending again the moment it is done: a
throughput test, far past any real load, whose latency is mostly waiting in this one process's event loop.
The settle at the end of an answer is measured too, though no user waits for it. Loopback only; bounded.

    uv run --project bench python bench/limits_overhead.py      (make bench runs it)
"""

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import uvloop
from chat_api.auth.tokens import Identity
from chat_api.limits.limiter import Limiter
from chat_api.limits.policy import Policy
from redis.asyncio import Redis

from harness.processes import ROOT
from harness.statistics import percentile
from harness.stores import redis

POLICY = Policy(requests_per_minute=1_000_000, concurrent_streams=1_000_000, tokens_per_day=2_000_000_000)


def spread(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 3),
        "p99": round(percentile(values, 0.99) or 0, 3),
        "max": round(max(values), 3),
    }


async def measure(url: str, senders: int, sends_each: int) -> dict[str, object]:
    client = Redis.from_url(url, max_connections=200)
    limiter = Limiter(client)
    admits: list[float] = []
    settles: list[float] = []

    async def sender() -> None:
        user = Identity(uuid.uuid4(), guest=True, session_id=uuid.uuid4(), epoch=0)
        for _ in range(sends_each):
            started = time.perf_counter()
            grant = await limiter.admit(user, POLICY, 1_100)
            admits.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            await limiter.settle(grant, 240)
            settles.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(sender() for _ in range(4)))  # warm-up: connections, the scripts loaded
    admits.clear()
    settles.clear()
    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(senders)))
    took = time.perf_counter() - started
    await client.aclose()
    return {
        "senders_at_once": senders,
        "sends": len(admits),
        "sends_per_s": round(len(admits) / took),
        "admit_ms": spread(admits),
        "settle_ms": spread(settles),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/limits-overhead.json")
    args = parser.parse_args()
    work = ROOT / "bench/.work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    with redis(work) as url:
        runs = [uvloop.run(measure(url, senders, sends)) for senders, sends in ((1, 2_000), (100, 50))]
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}",
        "target_admit_p50_ms": 1.0,
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
