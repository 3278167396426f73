"""Restarts during traffic: `docker compose restart api` (every replica at once), and one api worker killed.

What must hold: short streams finish inside the grace period; streams that outlive it end with an `error`
event that says the service is restarting; while the api is down nginx answers 503 in the envelope; and
afterwards new requests succeed with no manual step. A killed worker's streams end visibly unfinished (no
`done`), the other worker's finish, and gunicorn replaces the worker.
"""

import asyncio
import json
import time

from .report import record
from .streams import StreamRun, client, new_request_tag, run_stream, wait_for
from .support import Reply, assert_envelope, compose, needs_compose, post_json, wait_until_ready

pytestmark = needs_compose

SHORT = "ttft_ms=0 token_ms=50 tokens=30"  # 1.5 s: ends well inside the grace period
LONG = "ttft_ms=0 token_ms=250 tokens=400"  # 100 s: outlives it
QUICK = {"message": "Are you there?\n@emulator tokens=3 ttft_ms=0 token_ms=0"}

WORKERS = """
import json, os
workers = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    status = dict(line.split(":\\t", 1) for line in open(f"/proc/{pid}/status").read().splitlines() if ":\\t" in line)
    if status.get("PPid", "").strip() == "1":
        links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        sockets = sum(1 for link in links if link.startswith("socket:"))
        workers.append({"pid": int(pid), "sockets": sockets})
print(json.dumps(workers))
"""


def api_workers() -> list[dict[str, int]]:
    """The first replica's gunicorn workers (children of its PID 1) and how many sockets each holds open."""
    found: list[dict[str, int]] = json.loads(compose("exec", "-T", "--index", "1", "api", "python", "-c", WORKERS))
    return found


async def probe_until(done: "asyncio.Future[str]", replies: list[tuple[float, Reply]]) -> None:
    """A new request every 200 ms until `done`: what a user arriving during the restart gets."""
    while not done.done():
        replies.append((time.monotonic(), await asyncio.to_thread(post_json, "/api/chat/events", QUICK)))
        await asyncio.sleep(0.2)


async def traffic_through_a_restart() -> tuple[list[StreamRun], list[StreamRun], list[tuple[float, Reply]], float]:
    short = [StreamRun(new_request_tag()) for _ in range(10)]
    long = [StreamRun(new_request_tag()) for _ in range(4)]
    probes: list[tuple[float, Reply]] = []
    async with client(20) as http:
        tasks = [asyncio.create_task(run_stream(http, SHORT, run)) for run in short]
        tasks += [asyncio.create_task(run_stream(http, LONG, run)) for run in long]
        await wait_for(lambda: all(run.first_delta_at for run in short + long), within=15)
        started = time.monotonic()
        restart = asyncio.ensure_future(asyncio.to_thread(compose, "restart", "api"))
        await probe_until(restart, probes)
        await restart
        await asyncio.gather(*tasks)
    await asyncio.to_thread(wait_until_ready, 120)
    return short, long, probes, time.monotonic() - started


def test_compose_restart_during_traffic() -> None:
    short, long, probes, back_after_s = asyncio.run(traffic_through_a_restart())

    assert all(run.completed for run in short), [(run.error, run.finish_reason) for run in short]
    assert [run.error for run in long] == ["upstream_unavailable"] * len(long)
    assert all(run.events[-1] == "error" for run in long)
    refused = [reply for _, reply in probes if reply.status != 200]
    refused_at = [at for at, reply in probes if reply.status != 200]
    for reply in refused:
        assert_envelope(reply, 503, "upstream_unavailable")
        assert reply.headers["retry-after"]
    assert refused, "no request met the api down: the restart was not observed"
    after = post_json("/api/chat/events", QUICK)
    assert after.status == 200 and after.events()[-1] == ("done", {"finish_reason": "stop"})
    record(
        "restart",
        {
            "short_streams_finished": f"{sum(run.completed for run in short)}/{len(short)}",
            "long_streams_told_restarting": f"{sum(run.error == 'upstream_unavailable' for run in long)}/{len(long)}",
            "probes_during_restart": len(probes),
            "probes_answered_503_envelope": len(refused),
            "api_unreachable_for_s": round(refused_at[-1] - refused_at[0] + 0.2, 1),
            "serving_again_after_restart_began_s": round(back_after_s, 1),
        },
    )


async def traffic_through_a_killed_worker() -> tuple[list[StreamRun], int]:
    runs = [StreamRun(new_request_tag()) for _ in range(12)]
    async with client(20) as http:
        tasks = [asyncio.create_task(run_stream(http, "ttft_ms=0 token_ms=50 tokens=100", run)) for run in runs]
        await wait_for(lambda: all(run.first_delta_at for run in runs), within=15)
        workers = await asyncio.to_thread(api_workers)
        busiest = max(workers, key=lambda worker: worker["sockets"])  # the one holding the most streams
        kill = f"import os, signal; os.kill({busiest['pid']}, signal.SIGKILL)"
        await asyncio.to_thread(compose, "exec", "-T", "--index", "1", "api", "python", "-c", kill)
        await asyncio.gather(*tasks)
    return runs, len(workers)


def test_a_killed_worker_ends_its_streams_visibly_and_is_replaced() -> None:
    runs, workers = asyncio.run(traffic_through_a_killed_worker())

    cut = [run for run in runs if not run.completed]
    assert all(run.completed or "done" not in run.events for run in runs)  # no stream claims to have finished
    assert all(run.error for run in cut)  # each unfinished one failed visibly (a cut body, not a silent end)
    assert 0 < len(cut) < len(runs), f"{len(cut)} of {len(runs)} streams cut"
    deadline = time.monotonic() + 30
    while len(api_workers()) < workers:
        assert time.monotonic() < deadline, "gunicorn did not replace the killed worker"
        time.sleep(0.5)
    replies = [post_json("/api/chat/events", QUICK) for _ in range(6)]
    assert all(reply.status == 200 and reply.events()[-1][0] == "done" for reply in replies)
    record("killed_worker", {"streams": len(runs), "cut": len(cut), "finished": len(runs) - len(cut)})
