"""The tools of one worker: a kernel that holds them (with the bounds every call keeps to), and what a request
may offer the model, as Semantic Kernel's function choice. The operator's MCP servers' tools join the built-in
ones as plugins named after their servers; the kernel follows their lists as they change."""

import time
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import orjson
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai import FunctionChoiceBehavior
from semantic_kernel.connectors.ai.function_calling_utils import kernel_function_metadata_to_function_call_format
from semantic_kernel.filters.filter_types import FilterTypes
from semantic_kernel.functions import KernelFunction, KernelPlugin

from chat_api.auth.tokens import Identity
from chat_api.chat.citations import Sources
from chat_api.chat.service import ToolOffer
from chat_api.chat.tokens import text_tokens
from chat_api.settings import Settings
from chat_api.telemetry import metrics
from chat_api.tools.bounds import bounded_calls
from chat_api.tools.calls import Approve, Call, CallOutcome, run_call
from chat_api.tools.context import ToolContext, ToolServices, acting_for
from chat_api.tools.mcp.hub import McpTools
from chat_api.tools.policy import ToolPolicy
from chat_api.tools.schemas import McpServerView, ToolList, ToolView
from chat_api.tools.spec import spec_of

FunctionFilter = Literal["excluded_plugins", "included_plugins", "excluded_functions", "included_functions"]


@dataclass(frozen=True)
class ToolGrant:
    """What one answer may use: the tools offered (by qualified name), and those the user allowed for the whole
    conversation (they run without asking again)."""

    identity: Identity
    conversation_id: uuid.UUID | None
    functions: dict[str, KernelFunction]
    approved: frozenset[str] = field(default_factory=frozenset)


class Toolkit:
    def __init__(
        self, policy: ToolPolicy, services: ToolServices, settings: Settings, mcp: McpTools | None = None
    ) -> None:
        self.policy = policy
        self.services = services
        self.settings = settings
        self.mcp = mcp
        self.max_rounds = settings.TOOLS_MAX_ROUNDS
        self._mcp_tokens: dict[str, int] = {}
        self.kernel = Kernel()
        self.kernel.add_plugin(policy.plugin)
        self.kernel.add_filter(FilterTypes.FUNCTION_INVOCATION, bounded_calls(settings.TOOL_OUTPUT_MAX_TOKENS))
        if mcp is not None:
            mcp.on_change(self._server_listed)

    def _server_listed(self, server: str, plugin: KernelPlugin) -> None:
        """A server's tools, new or changed: offered from the next round on (a round already offered keeps its
        own functions)."""
        self.kernel.plugins[server] = plugin
        self._mcp_tokens[server] = _definitions_tokens(list(plugin.functions.values()))

    def grant(
        self,
        identity: Identity,
        conversation_id: uuid.UUID | None,
        *,
        enabled: bool = True,
        approved: frozenset[str] = frozenset(),
        servers_off: frozenset[str] = frozenset(),
    ) -> ToolGrant | None:
        """The tools this answer may offer; None when it offers none (the model is called as without tools)."""
        functions = self.policy.allowed(identity, conversation_allows=enabled)
        if self.mcp is not None and enabled and self.policy.enabled:
            tier = self.settings.tiers.named(identity.tier)
            functions += self.mcp.allowed(tier, servers_off)
        if not functions:
            return None
        offered = {function.fully_qualified_name: function for function in functions}
        return ToolGrant(identity, conversation_id, offered, approved)

    def describe(self, identity: Identity) -> ToolList:
        """The tools `identity` may be offered (before any conversation's switches), and their servers."""
        functions = self.policy.allowed(identity)
        servers: list[McpServerView] = []
        if self.mcp is not None:
            tier = self.settings.tiers.named(identity.tier)
            functions += self.mcp.allowed(tier)
            servers = [
                McpServerView(name=status.name, available=status.available)
                for status in self.mcp.status()
                if self.mcp.servers[status.name].allows_tier(tier.name) and tier.allows_mcp_server(status.name)
            ]
        items = [
            ToolView(
                name=function.fully_qualified_name,
                tool=str((function.metadata.additional_properties or {}).get("mcp_tool", function.name)),
                server=function.plugin_name
                if self.mcp is not None and function.plugin_name in self.mcp.servers
                else None,
                description=function.description or "",
                acting=spec_of(function).acting,
            )
            for function in functions
        ]
        return ToolList(enabled=self.policy.enabled, items=items, servers=servers)

    def offer(self, grant: ToolGrant, *, last: bool = False) -> ToolOffer:
        """A round's offer: the model may call any granted tool, or (`last`) sees them but must answer in words."""
        filters: dict[FunctionFilter, list[str]] = {"included_functions": list(grant.functions)}
        choice = (
            FunctionChoiceBehavior.NoneInvoke(filters=filters)
            if last
            else FunctionChoiceBehavior.Auto(auto_invoke=False, filters=filters)
        )
        return ToolOffer(self.kernel, choice)

    @property
    def definitions_tokens(self) -> int:
        """About what the offered tools' definitions take of every prompt that offers them (their JSON schema, as
        the model is sent them): memory leaves room for it. The MCP servers' count as they are now listed."""
        if not self.policy.enabled:
            return 0
        return self._builtin_tokens + sum(self._mcp_tokens.values())

    @cached_property
    def _builtin_tokens(self) -> int:
        return _definitions_tokens(self.policy.offered)

    async def run(self, grant: ToolGrant, call: Call, approve: Approve, sources: Sources | None = None) -> CallOutcome:
        """One call, for the grant's user (the tools read who it is from their context, never the model);
        passages it gives the model are numbered among the answer's `sources`."""
        started = time.perf_counter()
        context = ToolContext(grant.identity, grant.conversation_id, self.services, sources or Sources())
        with acting_for(context):
            outcome = await run_call(self.kernel, grant.functions, call, approve)
        function = grant.functions.get(call.tool)
        server = function.plugin_name if function is not None else None
        metrics.tool_call_ended(call.tool, server or "none", outcome.status, time.perf_counter() - started)
        return outcome


def _definitions_tokens(functions: list[KernelFunction]) -> int:
    definitions = [kernel_function_metadata_to_function_call_format(f.metadata) for f in functions]
    return text_tokens(orjson.dumps(definitions).decode()) if definitions else 0
