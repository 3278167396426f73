"""The operator's MCP servers as tools, against real MCP servers (the official SDK's, in this process): read and
acting tools through whole answers, each user under their own identity, Stop and timeouts reaching the server,
outages and refusals as plain tool errors, a new tool without a restart, and a bad file stopping the start."""

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import jwt
import pytest
import yaml
from emulator.app import Emulator
from emulator.testing import eventually
from httpx_sse import ServerSentEvent, aconnect_sse
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import ValidationError

from chat_api.auth.tokens import Identity
from chat_api.settings import describe_error
from chat_api.tools.context import ToolContext, ToolServices, acting_for
from chat_api.tools.mcp.backoff import Backoff
from chat_api.tools.mcp.config import McpServer, ServerConfig, UserAuth
from chat_api.tools.mcp.connection import Connection, Unavailable
from chat_api.tools.mcp.hub import McpTools

from .conftest import PROMPTLY_S, ApiFactory, api_settings, signed_in
from .mcp_server import NotesServer
from .test_tool_rounds import named, new_conversation, send, tagged, text_of

SECRET = "a-test-signing-secret-of-forty-characters"
MCP_SECRET = "the-notes-server-shares-this-secret-with-the-api"
MCP_KEY = "a-fixed-key-for-the-plain-server"


@pytest.fixture(scope="module")
def notes() -> Iterator[NotesServer]:
    server = NotesServer("notes", secret=MCP_SECRET)
    with server.running():
        yield server


@pytest.fixture(scope="module")
def plain() -> Iterator[NotesServer]:
    server = NotesServer("plain")
    with server.running():
        yield server


@pytest.fixture(scope="module")
def sluggish() -> Iterator[NotesServer]:
    server = NotesServer("sluggish", list_delay_s=30)
    with server.running():
        yield server


def servers_file(*servers: dict[str, Any]) -> Path:
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"mcp-servers-{uuid.uuid4().hex}.yaml"  # noqa: S108
    path.write_text(yaml.safe_dump({"servers": list(servers)}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def environment() -> Iterator[None]:
    os.environ["TEST_MCP_SECRET"] = MCP_SECRET
    os.environ["TEST_MCP_KEY"] = MCP_KEY
    try:
        yield
    finally:
        os.environ.pop("TEST_MCP_SECRET", None)
        os.environ.pop("TEST_MCP_KEY", None)


@pytest.fixture(scope="module")
async def url(
    api_server: ApiFactory,
    shared_store: dict[str, str],
    environment: None,
    notes: NotesServer,
    plain: NotesServer,
    sluggish: NotesServer,
) -> AsyncIterator[str]:
    path = servers_file(
        {"name": "notes", "url": notes.url, "auth": {"mode": "user", "secret_env": "TEST_MCP_SECRET"}},
        {
            "name": "plain",
            "url": plain.url,
            "auth": {"mode": "header", "header": "X-Api-Key", "value_env": "TEST_MCP_KEY"},
            "tools": ["list_notes", "slow", "big", "broken"],
            "timeout_s": 1,
            "connect_timeout_s": 1,
        },
        {"name": "sluggish", "url": sluggish.url, "connect_timeout_s": 60},
    )
    with api_server(
        AUTH_SECRET=SECRET,
        GUEST_CONCURRENT_STREAMS=50,
        GUEST_REQUESTS_PER_MINUTE=500,
        TOOLS_APPROVAL_TIMEOUT_S=5,
        MCP_SERVERS_FILE=str(path),
        MCP_RETRY_BASE_S=0.3,
        MCP_RETRY_MAX_S=0.3,
        **shared_store,
    ) as served:
        async with signed_in(served) as http:
            await _offered(http, "notes-list_notes", "plain-list_notes")
        yield served


async def _offered(http: httpx.AsyncClient, *names: str) -> dict[str, Any]:
    """The tool list once it has `names` (the servers are listed in the background from the start)."""
    listed: dict[str, Any] = {}
    for _ in range(500):
        listed = (await http.get("/api/tools")).json()
        if set(names) <= {tool["name"] for tool in listed["items"]}:
            return listed
        await asyncio.sleep(0.01)
    raise AssertionError(f"{names} were not offered: {listed}")


def user_of(http: httpx.AsyncClient) -> str:
    token = http.headers["Authorization"].removeprefix("Bearer ")
    subject: str = jwt.decode(token, options={"verify_signature": False})["sub"]
    return subject


async def answer_allowing(http: httpx.AsyncClient, conversation_id: str, content: str) -> list[ServerSentEvent]:
    """An answer whose calls that act are allowed once as they are asked."""
    events: list[ServerSentEvent] = []
    async with aconnect_sse(
        http, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
    ) as source:
        async for event in source.aiter_sse():
            events.append(event)
            if event.event == "approval_required":
                answer_id = events[0].json()["assistant_message_id"]
                body = {"call_id": event.json()["call_id"], "decision": "allow_once"}
                assert (await http.post(f"/api/generations/{answer_id}/approvals", json=body)).status_code == 202
    return events


async def test_the_tools_are_listed_with_their_servers(ada: httpx.AsyncClient) -> None:
    listed = await _offered(ada, "notes-add_note")
    tools = {tool["name"]: tool for tool in listed["items"]}
    assert tools["notes-add_note"] == {
        "name": "notes-add_note",
        "tool": "add_note",
        "server": "notes",
        "description": "Keep a note.",
        "acting": True,  # not marked read-only
    }
    assert tools["notes-list_notes"]["acting"] is False and tools["builtin-calculate"]["server"] is None
    assert "plain-add_note" not in tools  # not among the plain server's configured tools
    servers = {server["name"]: server["available"] for server in listed["servers"]}
    assert servers == {"notes": True, "plain": True, "sluggish": False}  # sluggish is still listing


async def test_a_read_tool_and_an_acting_tool_through_whole_answers(
    ada: httpx.AsyncClient, notes: NotesServer, emulator: Emulator
) -> None:
    conversation_id = await new_conversation(ada)
    content, tag = tagged("Note this", 'call notes-add_note {"text": "buy milk"}')
    events = await answer_allowing(ada, conversation_id, content)
    (asked,) = named(events, "approval_required")
    assert asked["tool"] == "notes-add_note"
    (result,) = named(events, "tool_result")
    assert result["status"] == "ok" and result["preview"] == "kept: buy milk"
    assert "buy milk" in notes.notes
    assert "notes-list_notes" in emulator.log.recent(tag=tag)[0].tools

    content, _ = tagged("My notes?", "call notes-list_notes")
    events = await send(ada, conversation_id, content)
    assert named(events, "approval_required") == []  # it only reads
    (result,) = named(events, "tool_result")
    assert result["status"] == "ok" and "buy milk" in result["preview"]
    assert "Tool notes-list_notes said:" in text_of(events) and events[-1].event == "done"


async def test_two_users_at_once_each_call_as_themselves(
    ada: httpx.AsyncClient, bo: httpx.AsyncClient, notes: NotesServer
) -> None:
    async def whoami(http: httpx.AsyncClient) -> str:
        conversation_id = await new_conversation(http)
        events = await send(http, conversation_id, tagged("Who am I?", "call notes-whoami")[0])
        (result,) = named(events, "tool_result")
        assert result["status"] == "ok"
        preview: str = result["preview"]
        return preview

    for _ in range(3):
        seen_ada, seen_bo = await asyncio.gather(whoami(ada), whoami(bo))
        assert seen_ada.startswith(f"sub={user_of(ada)} ") and seen_bo.startswith(f"sub={user_of(bo)} ")
    calls = [claims for claims in notes.callers if claims["sub"] in {user_of(ada), user_of(bo)}]
    assert {claims["aud"] for claims in calls} == {"notes"} and all(c["exp"] - c["iat"] == 60 for c in calls)


async def test_stop_during_a_slow_call_cancels_it_on_the_server(
    ada: httpx.AsyncClient, plain: NotesServer, emulator: Emulator
) -> None:
    conversation_id = await new_conversation(ada)
    content, tag = tagged("Slow", 'call plain-slow {"seconds": 0.9}')
    plain.started.clear()
    plain.cancelled.clear()
    async with aconnect_sse(
        ada, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
    ) as source:
        events: list[ServerSentEvent] = []
        async for event in source.aiter_sse():
            events.append(event)
            if event.event == "tool_call" and event.json()["complete"]:
                await eventually(lambda: plain.started, what="the slow tool started")
                answer_id = events[0].json()["assistant_message_id"]
                stopped_at = time.perf_counter()
                assert (await ada.post(f"/api/generations/{answer_id}/stop")).status_code == 202
        ended_at = time.perf_counter()
    assert ended_at - stopped_at < PROMPTLY_S
    assert events[-1].event == "done" and events[-1].json() == {"finish_reason": "cancelled"}
    assert named(events, "tool_result")[0]["status"] == "cancelled"
    await eventually(lambda: plain.cancelled, within=2, what="the server heard notifications/cancelled")
    assert len(emulator.log.recent(tag=tag)) == 1


async def test_a_call_past_its_timeout_is_cancelled_on_the_server(ada: httpx.AsyncClient, plain: NotesServer) -> None:
    plain.cancelled.clear()
    conversation_id = await new_conversation(ada)
    events = await send(ada, conversation_id, tagged("Slow", 'call plain-slow {"seconds": 30}')[0])
    (result,) = named(events, "tool_result")
    assert result["status"] == "timeout" and "took longer than 1 s" in result["preview"]
    await eventually(lambda: plain.cancelled, within=2, what="the server heard notifications/cancelled")


async def test_errors_and_oversized_results_are_bounded(ada: httpx.AsyncClient) -> None:
    conversation_id = await new_conversation(ada)
    events = await send(ada, conversation_id, tagged("Broken", "call plain-broken")[0])
    (result,) = named(events, "tool_result")
    assert result["status"] == "error" and "the notes are on fire" in result["preview"]
    events = await send(ada, conversation_id, tagged("Big", "call plain-big")[0])
    (result,) = named(events, "tool_result")
    assert result["status"] == "ok" and len(result["preview"]) <= 2001
    said = text_of(events)
    assert "[output cut: the first" in said and len(said) < 20_000  # TOOL_OUTPUT_MAX_TOKENS, as any tool


async def test_a_server_down_is_a_plain_error_then_used_again_once_back(
    ada: httpx.AsyncClient, plain: NotesServer
) -> None:
    conversation_id = await new_conversation(ada)
    plain.stop()
    try:
        started = time.perf_counter()
        events = await send(ada, conversation_id, tagged("Notes?", "call plain-list_notes")[0])
        (result,) = named(events, "tool_result")
        assert result["status"] == "error" and result["preview"].startswith("The plain server is unavailable:")
        assert "127.0.0.1" not in result["preview"] and events[-1].event == "done"
        events = await send(ada, conversation_id, tagged("Again?", "call plain-list_notes")[0])
        assert named(events, "tool_result")[0]["status"] == "error"
        assert time.perf_counter() - started < 3
    finally:
        plain.start()
    await asyncio.sleep(0.4)  # past the backoff (MCP_RETRY_MAX_S)
    events = await send(ada, conversation_id, tagged("And now?", "call plain-list_notes")[0])
    (result,) = named(events, "tool_result")
    assert result["status"] == "ok", result


async def test_a_server_killed_mid_call_ends_the_call_then_is_used_again(
    ada: httpx.AsyncClient, notes: NotesServer
) -> None:
    conversation_id = await new_conversation(ada)
    notes.started.clear()
    content = tagged("Slow", 'call notes-slow {"seconds": 20}')[0]
    async with aconnect_sse(
        ada, "POST", f"/api/conversations/{conversation_id}/messages", json={"content": content}
    ) as source:
        events: list[ServerSentEvent] = []
        async for event in source.aiter_sse():
            events.append(event)
            if event.event == "tool_call" and event.json()["complete"]:
                await eventually(lambda: notes.started, what="the slow tool started")
                killed_at = time.perf_counter()
                await asyncio.to_thread(notes.stop)
            if event.event == "tool_result":
                result, ended_at = event.json(), time.perf_counter()
    try:
        assert result["status"] == "error" and result["preview"].startswith("The notes server is unavailable:")
        assert ended_at - killed_at < 2  # not the call's 30 s timeout
        assert events[-1].event == "done"
    finally:
        notes.start()
    for _ in range(20):  # the backoff, then the next call connects again
        await asyncio.sleep(0.2)
        events = await send(ada, conversation_id, tagged("Who?", "call notes-whoami")[0])
        if named(events, "tool_result")[0]["status"] == "ok":
            break
    assert named(events, "tool_result")[0]["status"] == "ok"


async def test_a_server_refusing_the_user_is_said_plainly(notes: NotesServer, url: str) -> None:
    async with signed_in(url) as newcomer:  # no session yet: this one connects, and is refused
        conversation_id = await new_conversation(newcomer)
        notes.refusing = True
        try:
            started = time.perf_counter()
            events = await send(newcomer, conversation_id, tagged("Who?", "call notes-whoami")[0])
        finally:
            notes.refusing = False
        assert time.perf_counter() - started < 3
        (result,) = named(events, "tool_result")
        assert result == result | {
            "status": "error",
            "preview": "The notes server is unavailable: it refused the api's credentials (HTTP 401).",
        }
        assert events[-1].event == "done"


async def test_a_new_tool_is_offered_without_a_restart(ada: httpx.AsyncClient, notes: NotesServer) -> None:
    name = f"fresh_{uuid.uuid4().hex[:6]}"
    notes.add_tool(name)
    await _offered(ada, f"notes-{name}")
    conversation_id = await new_conversation(ada)
    events = await send(ada, conversation_id, tagged("Try it", f"call notes-{name}")[0])
    (result,) = named(events, "tool_result")
    assert result["status"] == "ok" and result["preview"] == f"{name} works"


async def test_a_conversation_may_switch_a_server_off(ada: httpx.AsyncClient, emulator: Emulator) -> None:
    conversation_id = await new_conversation(ada)
    changed = await ada.patch(f"/api/conversations/{conversation_id}", json={"mcp_servers_off": ["plain"]})
    assert changed.status_code == 200 and changed.json()["mcp_servers_off"] == ["plain"]
    content, tag = tagged("Notes?", "call plain-list_notes")
    events = await send(ada, conversation_id, content)
    assert named(events, "tool_call") == []
    offered = emulator.log.recent(tag=tag)[0].tools
    assert "notes-list_notes" in offered and not [tool for tool in offered if tool.startswith("plain-")]
    bad = await ada.patch(f"/api/conversations/{conversation_id}", json={"mcp_servers_off": ["not a name"]})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"


async def test_a_slow_server_does_not_stall_answers_that_do_not_use_it(ada: httpx.AsyncClient) -> None:
    conversation_id = await new_conversation(ada)
    started = time.perf_counter()
    events = await send(ada, conversation_id, tagged("Just talk")[0])
    assert events[-1].event == "done" and time.perf_counter() - started < 1


async def test_a_refusing_server_fails_the_connect_within_its_timeout() -> None:
    server = NotesServer("locked", secret=MCP_SECRET)
    server.refusing = True
    with server.running():
        connection = Connection(server.url, {}, None, connect_timeout_s=5)
        started = time.perf_counter()
        with pytest.raises(Unavailable, match=r"refused the api's credentials \(HTTP 401\)"):
            await connection.open()
        assert time.perf_counter() - started < 1  # refused at once, not the SDK's endless wait (SK #13414)
        await connection.aclose()


def test_a_misconfigured_file_stops_the_start_with_a_line_per_mistake(emulator_url: str) -> None:
    path = servers_file(
        {"name": "ok_one", "url": "ftp://somewhere/mcp"},
        {"name": "bad name", "url": "http://mcp:8000/mcp"},
        {"name": "keyed", "url": "http://mcp:8000/mcp", "auth": {"mode": "user", "secret_env": "NOT_SET_ANYWHERE"}},
    )
    with pytest.raises(ValidationError) as raised:
        api_settings(emulator_url, MCP_SERVERS_FILE=str(path))
    lines = describe_error(raised.value).removeprefix("configuration error: ").splitlines()
    assert lines[0].startswith("MCP_SERVERS_FILE: servers[0].url: must be the server's http:// or https://")
    assert lines[1].startswith("MCP_SERVERS_FILE: servers[1].name: String should match pattern")
    assert len(lines) == 2  # the environment is checked once the file itself is right
    path = servers_file(
        {"name": "keyed", "url": "http://mcp:8000/mcp", "auth": {"mode": "user", "secret_env": "NOT_SET_ANYWHERE"}},
        {"name": "tiered", "url": "http://mcp:8000/mcp", "tiers": ["gold"]},
    )
    with pytest.raises(ValidationError) as raised:
        api_settings(emulator_url, MCP_SERVERS_FILE=str(path))
    assert describe_error(raised.value).removeprefix("configuration error: ").splitlines() == [
        "MCP_SERVERS_FILE: servers[0].auth: the environment variable NOT_SET_ANYWHERE is not set",
        "MCP_SERVERS_FILE: servers[1].tiers: no such tier 'gold' (known: default)",
    ]


async def test_an_mcp_call_is_a_span_without_its_arguments(plain: NotesServer) -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    server = McpServer(ServerConfig(name="plain", url=plain.url))
    tools = McpTools([server], Backoff(0.1, 0.1), 60, content_in_spans=False, tracer=provider.get_tracer("test"))
    tools.start()
    try:
        await eventually(lambda: "plain" in tools.plugins, within=5, what="the tools listed")
        identity = Identity(user_id=uuid.uuid4(), guest=True, session_id=uuid.uuid4(), epoch=0)
        with acting_for(ToolContext(identity, None, cast(ToolServices, None))):
            assert await tools.call(server, "add_note", {"text": "tangerine-submarine"}) == "kept: tangerine-submarine"
    finally:
        await tools.aclose()
    (span,) = spans.get_finished_spans()
    attributes = dict(span.attributes or {})
    assert span.name == "tools/call add_note" and attributes["mcp.server"] == "plain"
    assert attributes["gen_ai.tool.name"] == "add_note" and attributes["chat.tool.status"] == "ok"
    assert isinstance(attributes["chat.tool.duration_ms"], int)
    assert "tangerine" not in str(attributes)  # no arguments with TELEMETRY_CONTENT off


async def test_a_user_s_idle_session_is_closed(notes: NotesServer, environment: None) -> None:
    server = McpServer(
        ServerConfig(name="notes", url=notes.url, auth=UserAuth(mode="user", secret_env="TEST_MCP_SECRET")),
        MCP_SECRET,
    )
    tools = McpTools([server], Backoff(0.1, 0.1), idle_s=0.3, content_in_spans=False)
    tools.start()
    try:
        await eventually(lambda: "notes" in tools.plugins, within=5, what="the tools listed")
        identity = Identity(user_id=uuid.uuid4(), guest=True, session_id=uuid.uuid4(), epoch=0)
        with acting_for(ToolContext(identity, None, cast(ToolServices, None))):
            said = await tools.call(server, "whoami", {})
        assert said.startswith(f"sub={identity.user_id} ")
        assert [status.sessions for status in tools.status()] == [2]  # the listing session and the user's
        await eventually(lambda: tools.status()[0].sessions == 1, within=2, what="the idle session closed")
    finally:
        await tools.aclose()
