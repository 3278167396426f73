"""The sessions to one server: one shared by every user (auth none or header), or one per user (auth user: never
shared between users), plus a listing session that keeps the server's tool list (and hears `list_changed`).

A server that fails (down, refusing the api, too slow) is tried again on the next use once its backoff has
passed (doubling from MCP_RETRY_BASE_S up to MCP_RETRY_MAX_S), not on every request; meanwhile a use fails at
once with the reason. Per-user sessions idle for MCP_SESSION_IDLE_S are closed."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from mcp import types
from mcp.shared.exceptions import McpError
from pydantic import ValidationError

from chat_api.tools.errors import ToolError
from chat_api.tools.mcp.backoff import Backoff
from chat_api.tools.mcp.config import McpServer
from chat_api.tools.mcp.connection import Connection, Unavailable
from chat_api.tools.mcp.credentials import credentials_for
from chat_api.tools.mcp.results import ERROR_CHARS, result_text

logger = logging.getLogger("chat_api.tools.mcp")

LISTING: Final = ""  # the key of the listing session (for a shared server, the one every call uses too)


@dataclass
class _Slot:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    connection: Connection | None = None
    failures: int = 0
    retry_at: float = 0.0
    reason: str = ""


class ServerSessions:
    def __init__(
        self,
        server: McpServer,
        backoff: Backoff,
        idle_s: float,
        on_tools: Callable[[McpServer, list[types.Tool]], None],
    ) -> None:
        self.server = server
        self.backoff = backoff
        self.idle_s = idle_s
        self._on_tools = on_tools
        self._slots: dict[str, _Slot] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._retiring: set[Connection] = set()  # idle sessions being closed, no longer in a slot

    def start(self) -> None:
        """Keep the listing session (in the background: nobody waits for a server at start)."""
        name = self.server.name
        self._tasks.append(asyncio.create_task(self._keep_listing(), name=f"mcp-listing-{name}"))
        if self.server.per_user:
            self._tasks.append(asyncio.create_task(self._close_idle(), name=f"mcp-idle-{name}"))

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        connections = {slot.connection for slot in self._slots.values() if slot.connection} | self._retiring
        await asyncio.gather(*(connection.aclose() for connection in connections))

    async def call(self, tool: str, arguments: dict[str, Any], user_id: str) -> str:
        """`tool`'s answer for `user_id`, as the model reads it; `ToolError` says why there is none."""
        name = self.server.name
        try:
            connection = await self.for_user(user_id)
            result = await connection.call(tool, arguments, self.server.config.timeout_s)
        except Unavailable as error:
            raise ToolError(f"The {name} server is unavailable: {error.reason}.") from None
        except McpError as error:
            raise ToolError(f"The {name} server refused the call: {error.error.message[:ERROR_CHARS]}") from None
        except (RuntimeError, ValidationError):  # its answer did not match its own schemas
            raise ToolError(f"The {name} server's answer was not valid.") from None
        return result_text(result)

    @property
    def available(self) -> bool:
        slot = self._slots.get(LISTING)
        return slot is not None and slot.connection is not None and slot.connection.alive

    def sessions(self) -> int:
        return sum(1 for slot in self._slots.values() if slot.connection is not None and slot.connection.alive)

    async def for_user(self, user_id: str) -> Connection:
        """The session a call of this user's goes through (connected now if need be, within the timeout)."""
        return await self._connected(user_id if self.server.per_user else LISTING)

    async def _connected(self, key: str) -> Connection:
        slot = self._slots.setdefault(key, _Slot())
        connection = slot.connection
        if connection is not None and connection.alive:
            return connection
        async with slot.lock:
            connection = slot.connection
            if connection is not None and connection.alive:
                return connection
            if connection is not None and connection.failure is not None:
                self._failed(slot, connection.failure)  # it was lost since it was last used: back off from now
            slot.connection = None
            wait = slot.retry_at - time.monotonic()
            if wait > 0:
                raise Unavailable(f"{slot.reason}; the api tries again in {max(1, round(wait))} s")
            headers, auth = credentials_for(self.server, key or None)
            connection = Connection(
                self.server.config.url,
                headers,
                auth,
                self.server.config.connect_timeout_s,
                self._tools_changed if key == LISTING else None,
            )
            try:
                await connection.open()
            except Unavailable as error:
                self._failed(slot, error.reason)
                raise
            slot.failures = 0
            slot.connection = connection
            if key == LISTING:
                self._on_tools(self.server, connection.tools)
            return connection

    def _failed(self, slot: _Slot, reason: str) -> None:
        slot.failures += 1
        slot.reason = reason
        slot.retry_at = time.monotonic() + self.backoff.delay(slot.failures)
        logger.warning(
            "an MCP server is unavailable",
            extra={"fields": {"server": self.server.name, "reason": reason, "failures": slot.failures}},
        )

    def _tools_changed(self, connection: Connection) -> None:
        self._on_tools(self.server, connection.tools)

    async def _keep_listing(self) -> None:
        while True:
            try:
                connection = await self._connected(LISTING)
            except Unavailable:
                slot = self._slots[LISTING]
                await asyncio.sleep(max(0.05, slot.retry_at - time.monotonic()))
                continue
            await connection.closed.wait()

    async def _close_idle(self) -> None:
        while True:
            await asyncio.sleep(max(0.05, self.idle_s / 4))
            cutoff = time.monotonic() - self.idle_s
            for key, slot in list(self._slots.items()):
                connection = slot.connection
                if key == LISTING or connection is None:
                    continue
                if connection.alive and connection.in_flight == 0 and connection.last_used < cutoff:
                    del self._slots[key]
                    self._retiring.add(connection)
                    await connection.aclose()
                    self._retiring.discard(connection)
                elif not connection.alive and connection.last_used < cutoff and time.monotonic() > slot.retry_at:
                    del self._slots[key]  # failed, and not used again since: its backoff is over too
