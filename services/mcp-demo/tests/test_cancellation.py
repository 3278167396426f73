import asyncio
import contextlib
import time
from typing import Any

import httpx
import pytest
from mcp import ClientSession
from mcp.shared.exceptions import McpError
from mcp.shared.session import RequestResponder
from mcp.types import (
    CancelledNotification,
    CancelledNotificationParams,
    ClientNotification,
    ClientResult,
    ProgressNotification,
    RequestId,
    ServerNotification,
    ServerRequest,
)

from tests.conftest import PerRequestToken, connect


class SlowCall:
    """A `slow` call in flight, and its request id (the SDK client uses it as the progress token)."""

    def __init__(self) -> None:
        self.request_ids: asyncio.Queue[RequestId] = asyncio.Queue()

    async def handle(
        self, message: RequestResponder[ServerRequest, ClientResult] | ServerNotification | Exception
    ) -> None:
        if (
            isinstance(message, ServerNotification)
            and isinstance(message.root, ProgressNotification)
            and message.root.params.progress == 0  # the tool has started
        ):
            await self.request_ids.put(message.root.params.progressToken)

    async def start(self, session: ClientSession, seconds: float = 30) -> tuple["asyncio.Task[Any]", RequestId]:
        async def ignore(progress: float, total: float | None, message: str | None) -> None: ...

        call = asyncio.create_task(session.call_tool("slow", {"seconds": seconds}, progress_callback=ignore))
        return call, await asyncio.wait_for(self.request_ids.get(), 5)


async def cancellations(base_url: str, count: int = 1) -> list[dict[str, Any]]:
    """The server's records once there are ``count`` of them (the record is made as the handler unwinds)."""
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            records: list[dict[str, Any]] = (await http.get(f"{base_url}/_demo/cancellations")).json()
            if len(records) >= count:
                return records
            await asyncio.sleep(0.01)
    raise AssertionError(f"fewer than {count} cancellations recorded")


async def cancel(session: ClientSession, request_id: RequestId, reason: str) -> None:
    """What the SDK's client does not do on its own when a call is cancelled."""
    params = CancelledNotificationParams(requestId=request_id, reason=reason)
    await session.send_notification(ClientNotification(CancelledNotification(params=params)))


async def test_notifications_cancelled_stops_slow_and_is_recorded_with_its_caller(auth_url: str) -> None:
    slow = SlowCall()
    async with connect(auth_url, PerRequestToken("user-1", "Ada"), slow.handle) as session:
        call, request_id = await slow.start(session)
        sent_at = time.time()
        await cancel(session, request_id, "the user pressed Stop")
        with pytest.raises(McpError, match="Request cancelled"):
            await asyncio.wait_for(call, 5)
        [record] = await cancellations(auth_url)
    assert record["request_id"] == request_id and record["tool"] == "slow"
    assert (record["caller_sub"], record["caller_name"]) == ("user-1", "Ada")
    assert (record["reason"], record["cancel_reason"]) == ("notifications/cancelled", "the user pressed Stop")
    assert record["session_id"] and record["started_at"] < sent_at <= record["cancelled_at"] < sent_at + 0.5


async def test_a_call_the_client_only_abandons_runs_on_until_its_session_ends(open_url: str) -> None:
    """The SDK client's own cancellation sends nothing: the server learns only when the session is deleted."""
    slow = SlowCall()
    async with connect(open_url, message_handler=slow.handle) as session:
        call, request_id = await slow.start(session)
        call.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await call
        await asyncio.sleep(0.2)
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{open_url}/_demo/cancellations")).json() == []
    [record] = await cancellations(open_url)  # leaving the client sent DELETE
    assert (record["request_id"], record["reason"], record["caller_sub"]) == (request_id, "session ended", None)


async def test_a_cancel_for_another_request_changes_nothing(open_url: str) -> None:
    slow = SlowCall()
    async with connect(open_url, message_handler=slow.handle) as session:
        call, _ = await slow.start(session, seconds=0.3)
        await cancel(session, 9999, "no such request")
        assert not (await asyncio.wait_for(call, 5)).isError
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{open_url}/_demo/cancellations")).json() == []


async def test_a_slow_call_in_flight_is_listed_until_it_ends(auth_url: str) -> None:
    slow = SlowCall()
    async with connect(auth_url, PerRequestToken("user-2", "Bo"), slow.handle) as session, httpx.AsyncClient() as http:
        call, request_id = await slow.start(session, seconds=0.5)
        running = (await http.get(f"{auth_url}/_demo/running")).json()
        assert [(record["request_id"], record["caller_sub"]) for record in running] == [(request_id, "user-2")]
        await asyncio.wait_for(call, 5)
        assert (await http.get(f"{auth_url}/_demo/running")).json() == []
