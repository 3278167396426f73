"""Load and soak through nginx: many concurrent paced streams, answer after answer, for a fixed time.

Every stream must finish whole (zero errors), and the api's memory must not grow: its resident set after the
soak is compared with the one after a warm-up at the same load. The full soak (300 streams for 60 s) runs
with E2E_SOAK=1 (`make soak`); without it, a short version runs in `make test`. Figures go to the report.
"""

import asyncio
import json
import os
import time

import httpx

from .report import record
from .streams import StreamRun, client, percentile, run_stream
from .support import compose, needs_compose

pytestmark = needs_compose

SOAK = os.environ.get("E2E_SOAK") == "1"
STREAMS = 300 if SOAK else 100
WARM_UP_S = 20.0 if SOAK else 5.0
SOAK_S = 60.0 if SOAK else 10.0
TOKEN_MS = int(os.environ.get("E2E_SOAK_TOKEN_MS", "100"))
PACING = f"ttft_ms=0 token_ms={TOKEN_MS} tokens=40"  # answers of 4 s, one after another on each connection
RSS_GROWTH_LIMIT = 0.05

RSS = """
import json, os
def field(pid, name):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(name + ":"):
            return line.split()[1]
gunicorn = {pid: int(field(pid, "VmRSS")) / 1024 for pid in filter(str.isdigit, os.listdir("/proc"))
            if pid == "1" or field(pid, "PPid") == "1"}
print(json.dumps(gunicorn))
"""


def api_rss_mb() -> dict[str, float]:
    """Resident memory of the api's gunicorn processes (each replica's PID 1 and its workers), MB by
    replica and PID."""
    found: dict[str, float] = {}
    for index in range(1, len(compose("ps", "-q", "api").split()) + 1):
        rss = json.loads(compose("exec", "-T", "--index", str(index), "api", "python", "-c", RSS))
        found.update({f"{index}:{pid}": mb for pid, mb in rss.items()})
    return found


async def keep_streaming(seconds: float) -> list[StreamRun]:
    """STREAMS users, each asking again as soon as an answer ends, until `seconds` have passed."""
    runs: list[StreamRun] = []
    deadline = time.monotonic() + seconds

    async def user(http: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            runs.append(await run_stream(http, PACING))

    async with client(STREAMS, timeout=30) as http:
        await asyncio.gather(*(user(http) for _ in range(STREAMS)))
    return runs


def summary(runs: list[StreamRun], seconds: float) -> dict[str, object]:
    gaps = [gap for run in runs for gap in run.gaps]
    return {
        "streams_finished": sum(run.completed for run in runs),
        "errors": sum(not run.completed for run in runs),
        "chunks_per_s": round(sum(len(run.gaps) + 1 for run in runs if run.first_delta_at) / seconds),
        "gap_ms": {
            "paced": TOKEN_MS,
            "p50": round(percentile(gaps, 0.5) * 1000, 1),
            "p99": round(percentile(gaps, 0.99) * 1000, 1),
            "max": round(max(gaps, default=0) * 1000, 1),
        },
    }


def test_sustained_paced_streams_have_no_errors_and_no_memory_growth() -> None:
    warm_up = asyncio.run(keep_streaming(WARM_UP_S))
    rss_after_warm_up = api_rss_mb()
    started = time.monotonic()
    soak = asyncio.run(keep_streaming(SOAK_S))
    took = time.monotonic() - started
    rss_after_soak = api_rss_mb()

    before, after = sum(rss_after_warm_up.values()), sum(rss_after_soak.values())
    growth = (after - before) / before
    failures = [(run.error, run.status) for run in warm_up + soak if not run.completed]
    record(
        "soak" if SOAK else "load",
        {
            "concurrent_streams": STREAMS,
            "pacing": PACING,
            "warm_up_s": WARM_UP_S,
            "duration_s": round(took, 1),
            **summary(soak, took),
            "warm_up_errors": sum(not run.completed for run in warm_up),
            "api_rss_mb_after_warm_up": {pid: round(mb, 1) for pid, mb in rss_after_warm_up.items()},
            "api_rss_mb_after_soak": {pid: round(mb, 1) for pid, mb in rss_after_soak.items()},
            "api_rss_growth_percent": round(growth * 100, 2),
        },
    )
    assert not failures, failures[:5]
    assert set(rss_after_soak) == set(rss_after_warm_up), "an api process was replaced during the run"
    assert growth <= RSS_GROWTH_LIMIT, f"api RSS grew {growth:.1%}: {before:.1f} -> {after:.1f} MB"
