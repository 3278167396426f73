"""The operator's MCP servers for one worker: their sessions, their tools as kernel plugins (kept in step with
the servers' lists; listeners such as the toolkit's kernel are told of each change), which of them a user's tier
allows, and a call made for the user the answer is for, with its span."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import orjson
from opentelemetry import trace
from semantic_kernel.functions import KernelFunction, KernelPlugin

from chat_api.limits.tiers import Tier
from chat_api.settings import Settings
from chat_api.tools.context import current
from chat_api.tools.mcp.backoff import Backoff
from chat_api.tools.mcp.config import McpServer
from chat_api.tools.mcp.functions import tool_functions

if TYPE_CHECKING:
    from mcp import types

    from chat_api.tools.mcp.sessions import ServerSessions

logger = logging.getLogger("chat_api.tools.mcp")
tracer = trace.get_tracer("chat_api.tools.mcp")

ARGUMENTS_CHARS: Final = 2000  # of a call's arguments in its span (with TELEMETRY_CONTENT only)

Listener = Callable[[str, KernelPlugin], None]


def _sessions_of(
    servers: list[McpServer], backoff: Backoff, idle_s: float, on_tools: Callable[[McpServer, list["types.Tool"]], None]
) -> dict[str, "ServerSessions"]:
    """Each server's sessions. The mcp SDK is imported here, only when a server is configured: it is about 10 MB
    of every worker's memory (measured)."""
    if not servers:
        return {}
    from chat_api.tools.mcp.sessions import ServerSessions

    return {server.name: ServerSessions(server, backoff, idle_s, on_tools) for server in servers}


@dataclass(frozen=True)
class ServerStatus:
    name: str
    available: bool
    sessions: int


class McpTools:
    def __init__(
        self,
        servers: list[McpServer],
        backoff: Backoff,
        idle_s: float,
        content_in_spans: bool,
        tracer: trace.Tracer = tracer,
    ) -> None:
        self.servers = {server.name: server for server in servers}
        self.tracer = tracer
        self.plugins: dict[str, KernelPlugin] = {}
        self.content_in_spans = content_in_spans
        self._sessions = _sessions_of(servers, backoff, idle_s, self._listed)
        self._listeners: list[Listener] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> "McpTools":
        return cls(
            settings.mcp_servers,
            Backoff(settings.MCP_RETRY_BASE_S, settings.MCP_RETRY_MAX_S),
            settings.MCP_SESSION_IDLE_S,
            settings.TELEMETRY_CONTENT,
        )

    def start(self) -> None:
        for sessions in self._sessions.values():
            sessions.start()

    async def aclose(self) -> None:
        for sessions in self._sessions.values():
            await sessions.aclose()

    def on_change(self, listener: Listener) -> None:
        self._listeners.append(listener)
        for name, plugin in self.plugins.items():
            listener(name, plugin)

    def status(self) -> list[ServerStatus]:
        return [ServerStatus(name, s.available, s.sessions()) for name, s in self._sessions.items()]

    def allowed(self, tier: Tier, servers_off: frozenset[str] = frozenset()) -> list[KernelFunction]:
        """The tools of the servers `tier` may use and the conversation has not switched off."""
        return [
            function
            for name, plugin in self.plugins.items()
            if name not in servers_off and self.servers[name].allows_tier(tier.name) and tier.allows_mcp_server(name)
            for function in plugin.functions.values()
        ]

    def _listed(self, server: McpServer, tools: list["types.Tool"]) -> None:
        plugin = KernelPlugin(
            name=server.name,
            description=f"Tools of the {server.name} MCP server.",
            functions=tool_functions(server, tools, self.call),
        )
        self.plugins[server.name] = plugin
        logger.info("an MCP server's tools", extra={"fields": {"server": server.name, "tools": list(plugin.functions)}})
        for listener in self._listeners:
            listener(server.name, plugin)

    async def call(self, server: McpServer, tool: str, arguments: dict[str, Any]) -> str:
        """One call for the answer's user (from the tools' context, never from the model)."""
        context = current()
        started = time.perf_counter()
        attributes: dict[str, Any] = {  # as OpenTelemetry's MCP conventions name them, and the server
            "mcp.method.name": "tools/call",
            "gen_ai.tool.name": tool,
            "mcp.server": server.name,
        }
        if self.content_in_spans:
            attributes["gen_ai.tool.call.arguments"] = orjson.dumps(arguments).decode()[:ARGUMENTS_CHARS]
        status = "cancelled"  # unless it ends otherwise: a Stop, its timeout, the answer's end
        with self.tracer.start_as_current_span(
            f"tools/call {tool}", kind=trace.SpanKind.CLIENT, attributes=attributes
        ) as span:
            try:
                text = await self._sessions[server.name].call(tool, arguments, str(context.user_id))
                status = "ok"
                return text
            except Exception:
                status = "error"
                raise
            finally:
                span.set_attribute("chat.tool.status", status)
                span.set_attribute("chat.tool.duration_ms", round((time.perf_counter() - started) * 1000))
