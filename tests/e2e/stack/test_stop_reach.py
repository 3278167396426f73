"""A Stop says what happened: 202 only once the replica writing the answer has it, 503 `stop_unavailable`
(with `Retry-After`) when no one could be reached, 409 once the answer has ended. Redis is stopped while
answers stream on two replicas: a Stop that lands on the owner still stops it; one that lands on the other
replica cannot reach it and says so (it was a 202 that stopped nothing); retried once Redis is back, it
stops the answer. The api's log has no "Future exception was never retrieved" from the restart.
"""

import asyncio
import time

import httpx

from .report import record
from .streams import AnswerRun, client, run_answer, wait_for
from .support import compose, needs_compose, service_logs

pytestmark = needs_compose

LONG = "ttft_ms=0 token_ms=100 tokens=300"  # 30 s: still streaming when the Stops come
ANSWERS = 8  # spread by nginx over the replicas: some Stops land on their owner, some do not


def wait_until_redis_answers(within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while compose("exec", "-T", "redis", "redis-cli", "ping", check=False).strip() != "PONG":
        if time.monotonic() > deadline:
            raise AssertionError(f"Redis did not answer within {within}s of starting")
        time.sleep(0.2)


async def saved_status(http: httpx.AsyncClient, run: AnswerRun) -> str:
    detail = (await http.get(f"/api/conversations/{run.conversation_id}")).json()
    status: str = next(item["status"] for item in detail["messages"]["items"] if item["id"] == run.answer_id)
    return status


async def stop_until_reached(http: httpx.AsyncClient, run: AnswerRun, within: float = 30.0) -> list[int]:
    """Stop, again after each 503's Retry-After, until it is taken (202) or the answer has ended (409)."""
    statuses: list[int] = []
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        reply = await http.post(f"/api/generations/{run.answer_id}/stop")
        statuses.append(reply.status_code)
        if reply.status_code != 503:
            break
        assert reply.json()["error"]["code"] == "stop_unavailable" and "retry-after" in reply.headers
        await asyncio.sleep(float(reply.headers["retry-after"]))
    return statuses


async def stops_through_a_redis_outage() -> dict[str, object]:
    runs = [AnswerRun(f"stop-reach-{index}") for index in range(ANSWERS)]
    async with client(ANSWERS * 2, timeout=90) as http:
        tasks = [asyncio.create_task(run_answer(http, LONG, run)) for run in runs]
        await wait_for(lambda: all(run.first_delta_at for run in runs), within=30)
        await asyncio.to_thread(compose, "stop", "redis")
        try:
            while_away = [await http.post(f"/api/generations/{run.answer_id}/stop") for run in runs]
            await asyncio.sleep(1)  # what a 202 stopped has ended by now
            status_after_202 = {
                run.tag: await saved_status(http, run)
                for run, reply in zip(runs, while_away, strict=True)
                if reply.status_code == 202
            }
            still_streaming_after_503 = [
                await saved_status(http, run)
                for run, reply in zip(runs, while_away, strict=True)
                if reply.status_code == 503
            ]
        finally:
            await asyncio.to_thread(compose, "start", "redis")
        await asyncio.to_thread(wait_until_redis_answers)
        retried = {
            run.tag: await stop_until_reached(http, run)
            for run, reply in zip(runs, while_away, strict=True)
            if reply.status_code == 503
        }
        await asyncio.gather(*tasks)
        final = [await saved_status(http, run) for run in runs]
    for reply in while_away:
        assert reply.status_code in (202, 503), reply.text
        if reply.status_code == 503:
            assert reply.json()["error"]["code"] == "stop_unavailable" and reply.headers["retry-after"] == "1"
    assert set(status_after_202.values()) <= {"stopped"}, status_after_202  # a 202 is never a Stop lost
    assert set(still_streaming_after_503) <= {"streaming"}, still_streaming_after_503  # and a 503 says so
    assert all(statuses[-1] in (202, 409) for statuses in retried.values()), retried
    assert final == ["stopped"] * ANSWERS, final
    return {
        "answers": ANSWERS,
        "stops_while_redis_away_202_on_the_owner": len(status_after_202),
        "stops_while_redis_away_503": len(still_streaming_after_503),
        "retries_until_reached_max": max((len(statuses) for statuses in retried.values()), default=0),
        "answers_ended_stopped": final.count("stopped"),
    }


def test_a_stop_during_a_redis_outage_says_whether_it_reached_the_answer() -> None:
    figures = asyncio.run(stops_through_a_redis_outage())
    logs = service_logs("api")
    assert "Future exception was never retrieved" not in logs
    assert "Task exception was never retrieved" not in logs
    record("stop_reach", figures)
