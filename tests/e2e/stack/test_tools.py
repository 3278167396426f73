"""Tools through the whole stack (nginx, two api replicas, Postgres, Redis): parallel calls in one round, a
decision on a tool that acts taken by whichever replica it lands on, Stop while an answer waits on a tool,
Redis restarting while it waits, and one user's tool that never sees another's data."""

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse import EventSource, ServerSentEvent, aconnect_sse

from .report import record
from .support import BASE_URL, compose, needs_compose, service_logs, upstream_records
from .test_stop_reach import wait_until_redis_answers

pytestmark = needs_compose

ANSWERS = 6  # spread by nginx over the two replicas: some decisions land on the replica that does not own


@asynccontextmanager
async def guest_client(connections: int = 4) -> AsyncIterator[httpx.AsyncClient]:
    """A new guest's client through nginx (a user of its own: its memories start empty)."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=BASE_URL, limits=limits, timeout=httpx.Timeout(60, connect=10)) as http:
        session = await http.post("/api/auth/guest")
        assert session.status_code == 201, session.text
        http.headers["Authorization"] = f"Bearer {session.json()['access_token']}"
        yield http


@dataclass
class ToolRun:
    tag: str = field(default_factory=lambda: uuid.uuid4().hex)
    conversation_id: str = ""
    answer_id: str = ""
    events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (id, name, data)

    def named(self, name: str) -> list[dict[str, Any]]:
        return [data for _, kind, data in self.events if kind == name]

    @property
    def text(self) -> str:
        return "".join(data["text"] for data in self.named("delta"))


def message(text: str, run: ToolRun, *directives: str) -> str:
    lines = "".join(f"\n@emulator {directive}" for directive in directives)
    return f"{text}{lines}\n@emulator tag={run.tag}"


async def ask(
    http: httpx.AsyncClient, run: ToolRun, content: str, on_event: Any = None, conversation_id: str | None = None
) -> ToolRun:
    """Sends `content` into a new conversation (or the one given) and reads the answer to its end; `on_event`
    is awaited with each event as it comes."""
    run.conversation_id = conversation_id or (await http.post("/api/conversations", json={})).json()["id"]
    path = f"/api/conversations/{run.conversation_id}/messages"
    async with aconnect_sse(http, "POST", path, json={"content": content}) as source:
        assert source.response.status_code == 200, await source.response.aread()
        async for event in source.aiter_sse():
            data = json.loads(event.data)
            run.events.append((event.id, event.event, data))
            if event.event == "start":
                run.answer_id = data["assistant_message_id"]
            if on_event is not None:
                await on_event(event.event, data)
    return run


async def decide(http: httpx.AsyncClient, run: ToolRun, call_id: str, decision: str) -> tuple[int, str]:
    """The decision, sent again after each 503's Retry-After (Redis away); its status and request id."""
    request_id = f"e2e-decide-{uuid.uuid4().hex[:12]}"
    for _ in range(30):
        reply = await http.post(
            f"/api/generations/{run.answer_id}/approvals",
            json={"call_id": call_id, "decision": decision},
            headers={"X-Request-ID": request_id},
        )
        if reply.status_code != 503:
            return reply.status_code, request_id
        await asyncio.sleep(float(reply.headers.get("retry-after", "1")))
    return reply.status_code, request_id


def served_by(request_id: str) -> str:
    """The replica (its address) nginx sent a request to, from nginx's access log."""
    for line in service_logs("nginx").splitlines():
        if f'"request_id":"{request_id}"' in line:
            return str(json.loads(line[line.index("{") :])["upstream"]).split(":")[0]
    raise AssertionError(f"nginx did not log {request_id}")


def test_parallel_calls_run_in_one_round() -> None:
    asyncio.run(_parallel_calls_run_in_one_round())


async def _parallel_calls_run_in_one_round() -> None:
    async with guest_client() as http:
        run = ToolRun()
        content = message(
            "Three at once",
            run,
            'call calculate {"expression": "6 * 7"}',
            'call current_time {"timezone": "Asia/Tokyo"}',
            'call calculate {"expression": "2 ** 10"}',
        )
        await ask(http, run, content)
    results = run.named("tool_result")
    assert sorted(result["status"] for result in results) == ["ok", "ok", "ok"]
    assert {"42", "1024"} <= {result["preview"] for result in results}
    rounds = upstream_records(run.tag)
    assert len(rounds) == 2 and len(rounds[0]["tool_calls"]) == 3 and rounds[1]["tool_results"] == 3
    assert "Tool builtin-calculate said: 42" in run.text and run.named("done") == [{"finish_reason": "stop"}]


def test_a_decision_reaches_the_owner_from_either_replica() -> None:
    asyncio.run(_a_decision_reaches_the_owner_from_either_replica())


async def _a_decision_reaches_the_owner_from_either_replica() -> None:
    """Each answer pauses at `remember`; its decision goes through nginx to either replica. The owner is the
    replica that called the model (the emulator logs its address); nginx logs where each decision went."""
    async with guest_client(connections=2 * ANSWERS) as http:
        decisions: list[tuple[ToolRun, int, str]] = []

        async def one(index: int) -> ToolRun:
            run = ToolRun()

            async def on_event(kind: str, data: dict[str, Any]) -> None:
                if kind == "approval_required":
                    status, request_id = await decide(http, run, data["call_id"], "allow_once")
                    decisions.append((run, status, request_id))

            fact = f"Fact {index} of {run.tag[:8]}."
            return await ask(http, run, message("Remember", run, f'call remember {{"fact": "{fact}"}}'), on_event)

        runs = await asyncio.gather(*(one(index) for index in range(ANSWERS)))
        memories = (await http.get("/api/me/memories")).json()["items"]
    assert [status for _, status, _ in decisions] == [202] * ANSWERS
    assert all(run.named("tool_result")[0]["status"] == "ok" for run in runs)
    assert {f"Fact {index} of {runs[index].tag[:8]}." for index in range(ANSWERS)} <= {m["content"] for m in memories}
    crossed = sum(served_by(request_id) != upstream_records(run.tag)[0]["client"] for run, _, request_id in decisions)
    record("tools_decisions_across_replicas", {"answers": ANSWERS, "decided_by_the_other_replica": crossed})
    assert crossed >= 1, "every decision landed on its owner: the path through Redis was not exercised"


def test_stop_while_an_answer_waits_on_a_tool_ends_it_at_once() -> None:
    asyncio.run(_stop_while_an_answer_waits_on_a_tool_ends_it_at_once())


async def _stop_while_an_answer_waits_on_a_tool_ends_it_at_once() -> None:
    async with guest_client() as http:
        run = ToolRun()
        took: list[float] = []

        async def on_event(kind: str, data: dict[str, Any]) -> None:
            if kind == "approval_required":
                started = time.monotonic()
                assert (await http.post(f"/api/generations/{run.answer_id}/stop")).status_code == 202
                took.append(time.monotonic() - started)
            if kind == "done":
                took.append(time.monotonic())

        sent = time.monotonic()
        await ask(http, run, message("Remember", run, 'call remember {"fact": "Never saved."}'), on_event)
        memories = (await http.get("/api/me/memories")).json()["items"]
        detail = (await http.get(f"/api/conversations/{run.conversation_id}")).json()
    assert run.named("tool_result")[0]["status"] == "cancelled"
    assert run.named("done") == [{"finish_reason": "cancelled"}]
    assert "Never saved." not in {memory["content"] for memory in memories}
    assert len(upstream_records(run.tag)) == 1  # no round after the Stop
    answer = detail["messages"]["items"][-1]
    assert answer["status"] == "stopped" and [part["type"] for part in answer["parts"]] == ["tool_call", "tool_result"]
    record("tools_stop_while_waiting", {"stop_request_ms": round(took[0] * 1000, 1)})
    assert took[0] < 1.0 and took[1] - sent < 10


def test_redis_restarting_while_an_answer_waits_loses_no_event() -> None:
    asyncio.run(_redis_restarting_while_an_answer_waits_loses_no_event())


async def _redis_restarting_while_an_answer_waits_loses_no_event() -> None:
    async with guest_client() as http:
        run = ToolRun()

        async def on_event(kind: str, data: dict[str, Any]) -> None:
            if kind == "approval_required":
                await asyncio.to_thread(compose, "restart", "redis")
                await asyncio.to_thread(wait_until_redis_answers)
                status, _ = await decide(http, run, data["call_id"], "allow_once")
                assert status == 202

        await ask(
            http, run, message("Remember", run, 'call remember {"fact": "Kept across a Redis restart."}'), on_event
        )
        replay = await http.get(f"/api/generations/{run.answer_id}/events")
    assert run.named("tool_result")[0]["status"] == "ok" and run.named("done") == [{"finish_reason": "stop"}]
    replayed = [(event.event, event.json()) for event in _events(replay)]
    live = [(name, data) for _, name, data in run.events]
    assert replayed == live or replayed[0][0] == "snapshot"  # the log, whole; or (if Redis lost it) the saved answer
    if replayed[0][0] == "snapshot":
        assert [part["type"] for part in replayed[0][1]["parts"]] == ["tool_call", "tool_result", "text"]


def _events(response: httpx.Response) -> list[ServerSentEvent]:
    return list(EventSource(response).iter_sse())


def test_one_users_search_tool_never_sees_anothers_conversations() -> None:
    asyncio.run(_one_users_search_tool_never_sees_anothers_conversations())


async def _one_users_search_tool_never_sees_anothers_conversations() -> None:
    secret = f"zebrafish{uuid.uuid4().hex[:10]}"
    async with guest_client() as ada, guest_client() as bo:
        said = await ask(ada, ToolRun(), f"My word is {secret}")
        mine = ToolRun()
        await ask(ada, mine, message("Find it", mine, f'call search_conversations {{"query": "{secret}"}}'))
        theirs = ToolRun()
        await ask(bo, theirs, message("Find it", theirs, f'call search_conversations {{"query": "{secret}"}}'))
    assert said.conversation_id in mine.named("tool_result")[0]["preview"]
    (result,) = theirs.named("tool_result")
    # Bo's search finds Bo's own question (it holds the word), never Ada's conversation.
    assert result["status"] == "ok" and said.conversation_id not in result["preview"]
    assert "My word is" not in result["preview"] and said.conversation_id not in theirs.text
