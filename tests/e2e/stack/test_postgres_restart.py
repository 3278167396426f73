"""Postgres restarting mid-answer, through nginx: `docker compose stop postgres`, then `start`, while 20 answers
stream, each with a second reader. The answers go on streaming (their readers never wait on a save), their
saves are tried again until Postgres is back, and every one ends `done` with every word it streamed saved;
new sends while it is away are refused with 503 `database_unavailable` and `Retry-After` in the envelope
(never a 500); once it is back, new sends finish. Figures go to the reliability report.
"""

import asyncio
import time
from dataclasses import dataclass

import httpx

from .report import record
from .streams import AnswerRun, client, follow_answer, run_answer, wait_for
from .support import compose, is_envelope, needs_compose
from .test_replicas import assert_nothing_lost, assert_saved_as_streamed, send_honouring_retry_after

pytestmark = needs_compose

ENDS_WHILE_AWAY = "ttft_ms=0 token_ms=50 tokens=160"  # 8 s: its end waits for Postgres to be back
OUTLIVES_IT = "ttft_ms=0 token_ms=65 tokens=400"  # 26 s (400: the most a directive may ask): streams on after it
AWAY_AT_LEAST_S = 6.0  # longer than the stack's GENERATION_LEASE_S (5 s, scripts/e2e.sh)


@dataclass
class Refusal:
    status: int
    code: str | None
    retry_after: str | None


@dataclass
class ThroughPostgresRestart:
    owners: list[AnswerRun]  # answers streaming when Postgres went away
    followers: list[AnswerRun]  # a second reader of each, through nginx (on the owner or another replica)
    while_away: list[Refusal]  # new sends (and a read of the conversations) while Postgres was away
    after: list[AnswerRun]  # new sends once it was back
    away_s: float


def wait_until_postgres_answers(within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while "accepting connections" not in compose(
        "exec", "-T", "postgres", "pg_isready", "-U", "chat", "-d", "chat", check=False
    ):
        if time.monotonic() > deadline:
            raise AssertionError(f"Postgres did not answer within {within}s of starting")
        time.sleep(0.2)


def refusal(response: httpx.Response) -> Refusal:
    """The status, the envelope's code (None: not the envelope) and Retry-After."""
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body["error"].pop("trace_id", None)  # on a 5xx with telemetry on
    code = body["error"]["code"] if isinstance(body, dict) and is_envelope(body) else None
    return Refusal(response.status_code, code, response.headers.get("retry-after"))


async def requests_while_away(http: httpx.AsyncClient, conversation_ids: list[str]) -> list[Refusal]:
    """A message sent into each of these conversations (made before the outage), and the list of them."""
    refused = []
    for conversation_id in conversation_ids:
        sent = await http.post(
            f"/api/conversations/{conversation_id}/messages",
            json={"content": f"While Postgres is away\n@emulator {ENDS_WHILE_AWAY}"},
        )
        refused.append(refusal(sent))
    refused.append(refusal(await http.get("/api/conversations")))
    return refused


async def streaming_through_a_postgres_restart() -> ThroughPostgresRestart:
    owners = [AnswerRun(f"postgres-owner-{index}") for index in range(20)]
    async with client(100, timeout=120) as http:
        waiting = [(await http.post("/api/conversations", json={})).json()["id"] for _ in range(3)]
        tasks = [
            asyncio.create_task(run_answer(http, OUTLIVES_IT if index % 2 else ENDS_WHILE_AWAY, run))
            for index, run in enumerate(owners)
        ]
        await wait_for(lambda: all(run.first_delta_at for run in owners), within=30)
        # A second reader of each answer, through nginx: on the owner or on another replica.
        followers = [AnswerRun(run.tag, answer_id=run.answer_id) for run in owners]
        follow_tasks = [asyncio.create_task(follow_answer(http, run, None)) for run in followers]
        await asyncio.sleep(1)
        started = time.monotonic()
        await asyncio.to_thread(compose, "stop", "postgres")
        while_away = await requests_while_away(http, waiting)
        await asyncio.sleep(max(0.0, AWAY_AT_LEAST_S - (time.monotonic() - started)))
        await asyncio.to_thread(compose, "start", "postgres")
        await asyncio.to_thread(wait_until_postgres_answers)  # started is not yet ready
        away_for = time.monotonic() - started
        after = list(await asyncio.gather(*(send_honouring_retry_after(http) for _ in range(10))))
        await asyncio.gather(*tasks, *follow_tasks)
        await assert_saved_as_streamed(http, [*owners, *after])
    return ThroughPostgresRestart(owners, followers, while_away, after, away_for)


def test_postgres_restarting_mid_answer_loses_nothing() -> None:
    run = asyncio.run(streaming_through_a_postgres_restart())
    owners, followers, while_away, after = run.owners, run.followers, run.while_away, run.after

    assert_nothing_lost(owners, followers, after)
    assert all((one.status, one.code, one.retry_after) == (503, "database_unavailable", "2") for one in while_away), (
        while_away
    )
    record(
        "postgres_restart",
        {
            "answers": len(owners),
            "second_readers": len(followers),
            "postgres_away_s": round(run.away_s, 1),
            "requests_while_away_refused_503_database_unavailable": f"{len(while_away)}/{len(while_away)}",
            "new_sends_after_all_finished": f"{sum(one.completed for one in after)}/{len(after)}",
            "new_sends_after_that_waited_one_retry_after": sum(one.retried for one in after),
            "words_lost": 0,
        },
    )
