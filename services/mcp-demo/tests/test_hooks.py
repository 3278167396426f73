import asyncio
import logging
from collections.abc import Iterator

import httpx
import pytest
from mcp.types import ServerNotification, ToolListChangedNotification

from mcp_demo.app import create_app
from tests.conftest import PerRequestToken, connect, make_settings, notifications_into
from tests.serving import serve
from tests.test_tools import text_of


async def post(base_url: str, path: str, body: object = None) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(f"{base_url}{path}", json=body)


async def test_an_added_tool_is_announced_to_connected_sessions(open_url: str) -> None:
    received: list[ServerNotification] = []
    async with connect(open_url, message_handler=notifications_into(received)) as session:
        assert "echo" not in {tool.name for tool in (await session.list_tools()).tools}
        added = await post(open_url, "/_demo/tools/extra")
        for _ in range(200):
            if any(isinstance(n.root, ToolListChangedNotification) for n in received):
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("no notifications/tools/list_changed")
        names = {tool.name for tool in (await session.list_tools()).tools}
        echoed = await session.call_tool("echo", {"text": "hello"})
        await post(open_url, "/_demo/reset")
        after_reset = await session.call_tool("echo", {"text": "hello"})
    assert added.json() == {"tools": ["list_notes", "add_note", "slow", "whoami", "echo"], "sessions_told": 1}
    assert "echo" in names and text_of(echoed) == "hello"
    assert after_reset.isError and text_of(after_reset) == "unknown tool: echo"


async def test_the_server_advertises_that_its_tool_list_changes(open_url: str) -> None:
    async with connect(open_url) as session:
        capabilities = session.get_server_capabilities()
    assert capabilities is not None and capabilities.tools is not None and capabilities.tools.listChanged


async def test_reject_answers_every_mcp_request_with_the_status_until_cleared(auth_url: str) -> None:
    assert (await post(auth_url, "/_demo/reject", {"status": 401})).json() == {"status": 401}
    async with httpx.AsyncClient() as http:
        refused = await http.post(f"{auth_url}/mcp", json={})
        health = await http.get(f"{auth_url}/healthz")
    assert refused.status_code == 401 and refused.json() == {"error": "rejected by the test hook (401)"}
    assert health.status_code == 200
    assert (await post(auth_url, "/_demo/reject", {"status": None})).json() == {"status": None}
    async with connect(auth_url, PerRequestToken("user-1", "Ada")) as session:
        assert (await session.list_tools()).tools


@pytest.mark.parametrize("body", [{"status": 200}, {"status": "401"}, {"status": True}, {}, [401], "x"])
async def test_reject_refuses_a_status_that_is_not_an_error(open_url: str, body: object) -> None:
    response = await post(open_url, "/_demo/reject", body)
    assert response.status_code == 400 and "error" in response.json()


@pytest.fixture(scope="module")
def product_url() -> Iterator[str]:
    with serve(create_app(make_settings(test_hooks=False))) as url:
        yield url


async def test_the_hooks_are_absent_unless_switched_on(product_url: str) -> None:
    for path in ("/_demo/reset", "/_demo/tools/extra", "/_demo/reject"):
        assert (await post(product_url, path, {"status": 401})).status_code == 404
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{product_url}/_demo/cancellations")).status_code == 404


async def test_one_json_line_per_request_without_arguments(open_url: str, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("mcp_demo.requests")
    logger.addHandler(caplog.handler)
    logger.setLevel(logging.INFO)
    try:
        async with connect(open_url) as session:
            await session.call_tool("add_note", {"text": "a secret note"})
        for _ in range(200):  # the session's DELETE is logged once its response has gone
            if any('"http": "DELETE"' in record.getMessage() for record in caplog.records):
                break
            await asyncio.sleep(0.01)
    finally:
        logger.removeHandler(caplog.handler)
        logger.setLevel(logging.WARNING)
    lines = [record.getMessage() for record in caplog.records]
    call = next(line for line in lines if '"tools/call"' in line)
    assert '"tool": "add_note"' in call and '"status": 200' in call and '"duration_ms"' in call
    assert not any("secret" in line for line in lines)
    assert any('"http": "DELETE"' in line for line in lines)


async def test_a_session_ending_with_its_get_stream_open_logs_no_traceback(
    open_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="mcp.server.streamable_http")
    async with connect(open_url) as session:
        await session.call_tool("whoami", {})
        await asyncio.sleep(0.2)  # the client's GET stream is open by now
    await asyncio.sleep(0.3)
    assert [record.getMessage() for record in caplog.records if record.name.startswith("mcp.")] == []


async def test_a_session_that_has_ended_is_not_told_and_holds_nothing_up(open_url: str) -> None:
    async with connect(open_url) as session:
        await session.list_tools()
    await asyncio.sleep(0.2)  # the DELETE has ended the session on the server
    started = asyncio.get_running_loop().time()
    added = await post(open_url, "/_demo/tools/extra")
    assert added.json()["sessions_told"] == 0 and asyncio.get_running_loop().time() - started < 1
