"""The MCP demo server in the stack (services/mcp-demo: profile mcp, always on in the e2e stack, its test hooks on
a loopback port): it is up, checks the api's per-user tokens with this run's secret, answers MCP, and its hooks
work. The api's MCP cases of issue 32 (through nginx: a read tool and an acting tool, Stop during `slow`, the
server killed and restarted, a 401 on connect, `tools/list_changed`, two users at once) drive the api and then
read the server's side with the helpers here: `cancellations()`, `cancellation_for()`, `reject()`,
`add_extra_tool()`, `reset()`, and `demo_token()` to call it as a user would through the api."""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import time
import uuid
from typing import Any

import httpx
import pytest
from httpx_sse import EventSource

from .report import record
from .support import compose, needs_compose
from .test_tools import ToolRun, ask, decide, guest_client, message

pytestmark = needs_compose

MCP_DEMO_URL = os.environ.get("E2E_MCP_DEMO_URL", "http://127.0.0.1:18082")
SECRET = os.environ.get("MCP_DEMO_TOKEN_SECRET", "")  # scripts/e2e.sh makes one per run
AUDIENCE = "demo"
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
PROTOCOL = "2025-06-18"


def demo_token(sub: str, name: str | None = None, audience: str = AUDIENCE, lifetime_s: int = 60) -> str:
    """A token as the api signs one per call (HS256; iss chat-api, aud the server's name), made with the stdlib."""
    now = int(time.time())
    claims = {"iss": "chat-api", "aud": audience, "sub": sub, "iat": now, "exp": now + lifetime_s}
    claims |= {"jti": uuid.uuid4().hex, **({"name": name} if name is not None else {})}
    signed = f"{_b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}))}.{_b64(json.dumps(claims))}"
    signature = hmac.new(SECRET.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{_b64(signature)}"


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hook(method: str, path: str, body: object = None) -> Any:
    response = httpx.request(method, f"{MCP_DEMO_URL}/_demo/{path}", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def cancellations() -> list[dict[str, Any]]:
    """What `slow` recorded: request_id, session_id, caller_sub, caller_name, reason ("notifications/cancelled" or
    "session ended"), cancel_reason, started_at, cancelled_at (Unix seconds)."""
    records: list[dict[str, Any]] = hook("GET", "cancellations")
    return records


def cancellation_for(sub: str, within: float = 5.0) -> dict[str, Any]:
    """The first cancellation `slow` recorded for the caller `sub`, once there is one (Stop in the api, then this:
    its `reason` must be "notifications/cancelled", not "session ended")."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        mine = [record for record in cancellations() if record["caller_sub"] == sub]
        if mine:
            return mine[0]
        time.sleep(0.02)
    raise AssertionError(f"the demo server recorded no cancellation for {sub} within {within}s")


def running_for(sub: str, within: float = 10.0) -> dict[str, Any]:
    """The caller `sub`'s slow call, once it is on the server (the api connects a user's session first)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        running: list[dict[str, Any]] = hook("GET", "running")
        mine = [record for record in running if record["caller_sub"] == sub]
        if mine:
            return mine[0]
        time.sleep(0.02)
    raise AssertionError(f"no slow call of {sub} reached the demo server within {within}s")


def reject(status: int | None) -> None:
    """Every MCP request answered with `status` (an outage on demand); None: normal service again."""
    hook("POST", "reject", {"status": status})


def add_extra_tool() -> int:
    """Offers `echo(text)` and sends notifications/tools/list_changed; returns how many sessions were told."""
    told: int = hook("POST", "tools/extra")["sessions_told"]
    return told


def reset() -> None:
    hook("POST", "reset")


class RawSession:
    """MCP by hand over HTTP (no SDK in this project): enough to check the server in the stack."""

    def __init__(self, http: httpx.Client, sub: str, name: str | None = None) -> None:
        self.http, self.sub, self.name = http, sub, name
        self.session_id: str | None = None
        self.ids = iter(range(1_000_000))

    def post(self, message: dict[str, Any], token: str | None = None) -> httpx.Response:
        headers = {**MCP_HEADERS, "Authorization": f"Bearer {token or demo_token(self.sub, self.name)}"}
        if self.session_id:
            headers |= {"mcp-session-id": self.session_id, "mcp-protocol-version": PROTOCOL}
        return self.http.post(f"{MCP_DEMO_URL}/mcp", json=message, headers=headers)

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        message = {"jsonrpc": "2.0", "id": next(self.ids), "method": method, "params": params or {}}
        response = self.post(message)
        assert response.status_code == 200, response.text
        self.session_id = self.session_id or response.headers["mcp-session-id"]
        (event,) = [event for event in EventSource(response).iter_sse() if event.event == "message"]
        reply: dict[str, Any] = event.json()
        assert "result" in reply, reply
        return reply

    def open(self) -> None:
        client = {"name": "e2e", "version": "0"}
        self.request("initialize", {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": client})
        notified = self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})
        assert notified.status_code == 202, notified.text

    def call(self, tool: str, arguments: dict[str, Any] | None = None) -> str:
        result = self.request("tools/call", {"name": tool, "arguments": arguments or {}})["result"]
        assert not result.get("isError"), result
        text: str = result["content"][0]["text"]
        return text


@pytest.fixture(autouse=True)
def _clean_server() -> None:
    reset()


def test_the_demo_server_is_up_with_its_hooks() -> None:
    health = httpx.get(f"{MCP_DEMO_URL}/healthz", timeout=5)
    assert (health.status_code, health.text) == (200, "ok")
    assert cancellations() == []


def test_it_refuses_a_caller_without_this_runs_token() -> None:
    assert SECRET, "scripts/e2e.sh sets MCP_DEMO_TOKEN_SECRET: the stack's demo server checks tokens"
    with httpx.Client(timeout=10) as http:
        session = RawSession(http, "e2e-user")
        missing = http.post(f"{MCP_DEMO_URL}/mcp", json={}, headers=MCP_HEADERS)
        elsewhere = session.post({}, token=demo_token("e2e-user", audience="another-server"))
    assert missing.status_code == 401 and missing.json() == {"error": "missing bearer token"}
    assert elsewhere.status_code == 401 and "audience" in elsewhere.json()["error"]


def test_a_signed_caller_gets_the_tools_and_is_named() -> None:
    with httpx.Client(timeout=10) as http:
        session = RawSession(http, f"e2e-{uuid.uuid4().hex[:8]}", "E2E User")
        session.open()
        tools = {tool["name"] for tool in session.request("tools/list")["result"]["tools"]}
        note_id = session.call("add_note", {"text": "from the stack test"})
        notes = session.call("list_notes")
        who = session.call("whoami")
    assert tools == {"list_notes", "add_note", "slow", "whoami"}
    assert notes == f"{note_id}: from the stack test"
    assert who == f"sub: {session.sub}\nname: E2E User"


def test_reject_makes_an_outage_until_cleared() -> None:
    with httpx.Client(timeout=10) as http:
        session = RawSession(http, "e2e-user")
        reject(503)
        try:
            refused = session.post({"jsonrpc": "2.0", "id": 0, "method": "ping"})
        finally:
            reject(None)
        session.open()
    assert refused.status_code == 503


# The api's MCP cases (issue 32), through nginx and both replicas: the api offers the demo server's tools as
# `demo-<tool>` (compose.mcp.yaml), each call signed as its user.


async def me(http: httpx.AsyncClient) -> str:
    user_id: str = (await http.get("/api/me")).json()["id"]
    return user_id


async def call(http: httpx.AsyncClient, directive: str, text: str = "Use the tool") -> ToolRun:
    """An answer that makes one call (`@emulator call ...`), read to its end."""
    run = ToolRun()
    return await ask(http, run, message(text, run, directive))


async def approve_each(http: httpx.AsyncClient, run: ToolRun, kind: str, data: dict[str, Any]) -> None:
    if kind == "approval_required":
        status, _ = await decide(http, run, data["call_id"], "allow_once")
        assert status == 202


def test_a_read_tool_and_an_acting_tool_through_the_api_as_their_user() -> None:
    asyncio.run(_a_read_tool_and_an_acting_tool_through_the_api_as_their_user())


async def _a_read_tool_and_an_acting_tool_through_the_api_as_their_user() -> None:
    note = f"Demo note {uuid.uuid4().hex[:8]}"
    async with guest_client() as http:
        user_id = await me(http)
        added = ToolRun()

        async def on_event(kind: str, data: dict[str, Any]) -> None:
            await approve_each(http, added, kind, data)

        await ask(http, added, message("Note it", added, f'call demo-add_note {{"text": "{note}"}}'), on_event)
        listed = await call(http, "call demo-list_notes {}", "My notes")
        who = await call(http, "call demo-whoami {}", "Who am I")
    assert [data["tool"] for data in added.named("approval_required")] == ["demo-add_note"]
    assert added.named("tool_result")[0]["status"] == "ok"
    assert note in listed.named("tool_result")[0]["preview"]
    assert f"sub: {user_id}" in who.named("tool_result")[0]["preview"]
    assert listed.named("done") == [{"finish_reason": "stop"}]


def test_two_users_at_once_each_call_as_themselves() -> None:
    asyncio.run(_two_users_at_once_each_call_as_themselves())


async def _two_users_at_once_each_call_as_themselves() -> None:
    async with guest_client() as ada, guest_client() as bo:
        ids = await asyncio.gather(me(ada), me(bo))
        runs = [ToolRun() for _ in range(6)]
        clients = [ada, bo] * 3
        await asyncio.gather(
            *(
                ask(http, run, message("Who", run, "call demo-whoami {}"))
                for http, run in zip(clients, runs, strict=True)
            )
        )
    for index, run in enumerate(runs):
        preview = run.named("tool_result")[0]["preview"]
        assert f"sub: {ids[index % 2]}" in preview and ids[1 - index % 2] not in preview


def test_stop_during_the_slow_tool_reaches_the_server() -> None:
    asyncio.run(_stop_during_the_slow_tool_reaches_the_server())


async def _stop_during_the_slow_tool_reaches_the_server() -> None:
    async with guest_client() as http:
        user_id = await me(http)
        run = ToolRun()
        moments: dict[str, float] = {}

        async def on_event(kind: str, data: dict[str, Any]) -> None:
            if kind == "tool_call" and data["complete"]:
                await asyncio.to_thread(running_for, user_id)
                moments["stop"] = time.monotonic()
                assert (await http.post(f"/api/generations/{run.answer_id}/stop")).status_code == 202
                moments["accepted"] = time.monotonic()
            if kind == "done":
                moments["done"] = time.monotonic()

        await ask(http, run, message("Slowly", run, 'call demo-slow {"seconds": 30}'), on_event)
    cancelled = cancellation_for(user_id)
    assert run.named("tool_result")[0]["status"] == "cancelled"
    assert run.named("done") == [{"finish_reason": "cancelled"}]
    assert cancelled["reason"] == "notifications/cancelled", cancelled
    stop_to_done_ms = (moments["done"] - moments["stop"]) * 1000
    server_ms = (cancelled["cancelled_at"] - cancelled["started_at"]) * 1000
    stop_request_ms = (moments["accepted"] - moments["stop"]) * 1000
    record(
        "mcp_stop_during_a_slow_tool",
        {
            "stop_to_done_ms": round(stop_to_done_ms, 1),
            "stop_request_ms": round(stop_request_ms, 1),
            "server_saw_cancel_after_ms": round(server_ms),
        },
    )
    assert stop_to_done_ms < 1000, stop_to_done_ms  # through nginx, another replica maybe: well within a second


def test_a_server_refusing_every_caller_is_a_plain_tool_error() -> None:
    asyncio.run(_a_server_refusing_every_caller_is_a_plain_tool_error())


async def _a_server_refusing_every_caller_is_a_plain_tool_error() -> None:
    async with guest_client() as http:  # a new user: its session is opened now, and refused
        reject(401)
        try:
            started = time.monotonic()
            run = await call(http, "call demo-whoami {}", "Who")
            took = time.monotonic() - started
        finally:
            reject(None)
    result = run.named("tool_result")[0]
    assert result["status"] == "error" and "mcp-demo" not in result["preview"] and "http" not in result["preview"]
    assert run.named("done") == [{"finish_reason": "stop"}] and took < 10, took


def test_a_new_tool_on_the_server_is_offered_without_a_restart() -> None:
    asyncio.run(_a_new_tool_on_the_server_is_offered_without_a_restart())


async def _a_new_tool_on_the_server_is_offered_without_a_restart() -> None:
    async with guest_client() as http:
        await call(http, "call demo-whoami {}", "Who")  # sessions listed the tools
        add_extra_tool()
        deadline, result = time.monotonic() + 10, None
        while time.monotonic() < deadline:  # each replica hears list_changed and lists again
            run = await call(http, 'call demo-echo {"text": "hello"}', "Echo")
            results = run.named("tool_result")
            if results:
                result = results[0]
                break
            await asyncio.sleep(0.5)
    assert result is not None and result["status"] == "ok" and "hello" in result["preview"]


def test_the_server_killed_mid_call_then_back_is_used_again() -> None:
    asyncio.run(_the_server_killed_mid_call_then_back_is_used_again())


async def _the_server_killed_mid_call_then_back_is_used_again() -> None:
    async with guest_client() as http:
        user_id = await me(http)
        run = ToolRun()

        async def on_event(kind: str, data: dict[str, Any]) -> None:
            if kind == "tool_call" and data["complete"]:
                await asyncio.to_thread(running_for, user_id)
                await asyncio.to_thread(compose, "kill", "mcp-demo")

        started = time.monotonic()
        await ask(http, run, message("Slowly", run, 'call demo-slow {"seconds": 30}'), on_event)
        took = time.monotonic() - started
        await asyncio.to_thread(compose, "start", "mcp-demo")
        await asyncio.to_thread(wait_until_demo_answers)
        deadline, again = time.monotonic() + 60, None
        while time.monotonic() < deadline:  # the api tries again after its backoff
            again = await call(http, "call demo-whoami {}", "Who")
            if again.named("tool_result")[0]["status"] == "ok":
                break
            await asyncio.sleep(1)
    assert run.named("tool_result")[0]["status"] == "error" and run.named("done") == [{"finish_reason": "stop"}]
    assert took < 15, took  # not the call's 30 s timeout
    assert again is not None and again.named("tool_result")[0]["status"] == "ok"


def wait_until_demo_answers(within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{MCP_DEMO_URL}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"the demo server did not answer within {within}s")
