"""Several api replicas behind nginx: a rolling restart under load, and Redis restarting mid-answer.

A rolling restart (scripts/rolling-restart.sh: each replica in turn gets SIGTERM and its grace period,
starts again, is healthy, then the next) must fail no new request: nginx sends new work to the replicas
still up, and each replica lets its readers go (they follow on elsewhere) and finishes the answers it owns
before it exits, or tells their readers it could not. Redis away and back empty (it keeps
nothing on disk) must lose no word, and let no send through unchecked (the users' limits live there: sends
are refused meanwhile): the owners write their answers again, readers elsewhere wait or read the
database meanwhile. Figures go to the reliability report.
"""

import asyncio
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from .report import record
from .streams import AnswerRun, client, follow_answer, percentile, run_answer, wait_for
from .support import COMPOSE, compose, needs_compose

pytestmark = needs_compose

ROOT = Path(__file__).resolve().parents[3]
USERS = 100  # paced streams, each user asking again as soon as an answer ends
PACED = "ttft_ms=0 token_ms=100 tokens=30"  # 3 s at 10 tokens/s (as the load test): inside the grace period
LONG = "ttft_ms=0 token_ms=100 tokens=300"  # 30 s: outlives its replica's grace period
QUICK = "ttft_ms=0 token_ms=10 tokens=5"


def api_containers() -> list[str]:
    containers = compose("ps", "-q", "api").split()
    assert len(containers) >= 2, f"these tests need two api replicas or more, found {len(containers)}"
    return containers


def rolling_restart() -> None:
    """The product's own procedure (scripts/rolling-restart.sh), on the stack under test."""
    done = subprocess.run(
        ["bash", str(ROOT / "scripts/rolling-restart.sh")],
        env={**os.environ, "COMPOSE": " ".join(COMPOSE)},
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


async def saved_answer(http: httpx.AsyncClient, run: AnswerRun) -> dict[str, object]:
    """The answer as the database has it."""
    detail = (await http.get(f"/api/conversations/{run.conversation_id}")).json()
    found: dict[str, object] = next(item for item in detail["messages"]["items"] if item["id"] == run.answer_id)
    return found


async def assert_saved_as_streamed(http: httpx.AsyncClient, runs: list[AnswerRun]) -> None:
    """Each answer ended, and the database has exactly the text that streamed, `done`."""
    for run in runs:
        assert run.completed, (run.tag, run.status, run.error)
        saved = await saved_answer(http, run)
        assert saved["status"] == "done" and saved["content"] == "".join(run.text), run.tag


def assert_nothing_lost(owners: list[AnswerRun], followers: list[AnswerRun], after: list[AnswerRun]) -> None:
    """Every answer and every second reader finished, each reader with exactly its answer's text."""
    unfinished = [(one.tag, one.status, one.error) for one in owners + followers + after if not one.completed]
    assert not unfinished, unfinished
    for owner, follower in zip(owners, followers, strict=True):
        assert "".join(follower.text) == "".join(owner.text), owner.tag


async def users_until(stop: asyncio.Event, http: httpx.AsyncClient, runs: list[AnswerRun]) -> None:
    async def user() -> None:
        while not stop.is_set():
            run = AnswerRun(f"rolling-{len(runs)}-{time.monotonic_ns()}")
            runs.append(run)
            await run_answer(http, PACED, run)

    await asyncio.gather(*(user() for _ in range(USERS)))


async def traffic_through_a_rolling_restart() -> tuple[list[AnswerRun], list[AnswerRun], list[AnswerRun], float, int]:
    containers = api_containers()
    runs: list[AnswerRun] = []
    long = [AnswerRun(f"rolling-long-{index}") for index in range(4)]
    stop = asyncio.Event()
    async with client(2 * USERS + 10, timeout=60) as http:
        traffic = asyncio.create_task(users_until(stop, http, runs))
        long_tasks = [asyncio.create_task(run_answer(http, LONG, run)) for run in long]
        await wait_for(lambda: all(run.first_delta_at for run in long) and len(runs) >= USERS, within=30)
        await asyncio.sleep(2)  # every user mid-answer
        started, restart_began = time.monotonic(), time.time()
        await asyncio.to_thread(rolling_restart)
        took, restart_ended = time.monotonic() - started, time.time()
        stop.set()
        await traffic
        await asyncio.gather(*long_tasks)
    during = [run for run in runs if restart_began <= run.started_at <= restart_ended]
    return runs, during, long, took, len(containers)


def first_token_ms(runs: list[AnswerRun], share: float) -> int:
    return round(1000 * percentile([run.first_delta_at - run.started_at for run in runs if run.first_delta_at], share))


def test_a_rolling_restart_under_load_fails_no_new_request() -> None:
    runs, during, long, took, replicas = asyncio.run(traffic_through_a_rolling_restart())

    refused = [run for run in runs if run.status != 200]
    assert not refused, [(run.status, run.error) for run in refused][:10]
    told = [run for run in runs if run.error == "upstream_unavailable"]
    failed = [run for run in runs if not run.completed and run not in told]
    assert not failed, [(run.error, run.finish_reason, run.reconnects) for run in failed][:10]
    assert all(run.completed or run.error == "upstream_unavailable" for run in long)
    assert any(run.error == "upstream_unavailable" for run in long), "no long answer outlived its replica"
    reconnected = [run for run in runs if run.reconnects]
    record(
        "rolling_restart",
        {
            "replicas": replicas,
            "concurrent_users": USERS,
            "restart_took_s": round(took, 1),
            "new_requests": len(runs),
            "new_requests_failed": len(refused),
            "answers_finished": sum(run.completed for run in runs),
            "answers_told_interrupted": len(told),
            "answers_followed_again_after_a_cut": len(reconnected),
            "long_answers_told_interrupted": f"{sum(run.error == 'upstream_unavailable' for run in long)}/{len(long)}",
            "new_requests_during_the_restart": len(during),
            "time_to_first_token_ms": {
                "during_the_restart": {"p50": first_token_ms(during, 0.5), "p99": first_token_ms(during, 0.99)},
                "before_and_after": {
                    "p50": first_token_ms([run for run in runs if run not in during], 0.5),
                    "p99": first_token_ms([run for run in runs if run not in during], 0.99),
                },
            },
        },
    )


@dataclass
class ThroughRedisRestart:
    owners: list[AnswerRun]  # answers streaming when Redis went away
    followers: list[AnswerRun]  # a second reader of each, through nginx (on the owner or another replica)
    while_down: list[AnswerRun]  # new sends while Redis was away
    after: list[AnswerRun]  # new sends once it was back
    away_s: float


async def send_honouring_retry_after(http: httpx.AsyncClient) -> AnswerRun:
    """A new send as a client should make it: refused with 503 and Retry-After, it waits and sends again once.
    (Each api connection to Redis left from before the restart fails its first command: a few sends just after
    Redis is back are refused so.)"""
    run = await run_answer(http, QUICK)
    if run.status == 503:
        await asyncio.sleep(2)
        run = await run_answer(http, QUICK)
        run.retried = True
    return run


def wait_until_redis_answers(within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while compose("exec", "-T", "redis", "redis-cli", "ping", check=False).strip() != "PONG":
        if time.monotonic() > deadline:
            raise AssertionError(f"Redis did not answer within {within}s of starting")
        time.sleep(0.2)


async def streaming_through_a_redis_restart() -> ThroughRedisRestart:
    owners = [AnswerRun(f"redis-owner-{index}") for index in range(20)]
    async with client(100, timeout=60) as http:
        tasks = [asyncio.create_task(run_answer(http, "ttft_ms=0 token_ms=50 tokens=160", run)) for run in owners]
        await wait_for(lambda: all(run.first_delta_at for run in owners), within=30)
        # A second reader of each answer, through nginx: on the owner or on another replica.
        followers = [AnswerRun(run.tag, answer_id=run.answer_id) for run in owners]
        follow_tasks = [asyncio.create_task(follow_answer(http, run, None)) for run in followers]
        await asyncio.sleep(1)
        started = time.monotonic()
        await asyncio.to_thread(compose, "stop", "redis")
        # While Redis is away the users' limits cannot be checked: new sends are refused, never let through.
        while_down = [await run_answer(http, QUICK) for _ in range(3)]
        await asyncio.to_thread(compose, "start", "redis")
        await asyncio.to_thread(wait_until_redis_answers)  # started is not yet ready, on a busy machine
        down_for = time.monotonic() - started
        await asyncio.sleep(2)  # the replicas reconnect (the refusals' Retry-After)
        after = list(await asyncio.gather(*(send_honouring_retry_after(http) for _ in range(10))))
        await asyncio.gather(*tasks, *follow_tasks)
        await assert_saved_as_streamed(http, [*owners, *after])
    return ThroughRedisRestart(owners, followers, while_down, after, down_for)


def test_redis_restarting_mid_answer_loses_nothing() -> None:
    run = asyncio.run(streaming_through_a_redis_restart())
    owners, followers, while_down, after = run.owners, run.followers, run.while_down, run.after

    assert_nothing_lost(owners, followers, after)
    assert [one.status for one in while_down] == [503] * len(while_down)  # refused, not unlimited
    record(
        "redis_restart",
        {
            "answers": len(owners),
            "second_readers": len(followers),
            "second_readers_that_read_the_database_meanwhile": sum(one.snapshots > 0 for one in followers),
            "redis_away_s": round(run.away_s, 1),
            "new_sends_while_away_refused_503": f"{len(while_down)}/{len(while_down)}",
            "new_sends_after_all_finished": f"{sum(one.completed for one in after)}/{len(after)}",
            "new_sends_after_that_waited_one_retry_after": sum(one.retried for one in after),
            "words_lost": 0,
        },
    )
