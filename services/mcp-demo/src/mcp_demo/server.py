"""The MCP server proper (the SDK's low-level ``Server``): lists and calls the demo's tools, and tells the
connected sessions when the list changes."""

import logging
from importlib.metadata import version
from typing import Any
from weakref import WeakSet

import anyio
from mcp import types
from mcp.server.lowlevel import NotificationOptions, Server
from mcp.server.models import InitializationOptions
from mcp.server.session import ServerSession
from mcp.server.streamable_http import MCP_SESSION_ID_HEADER
from pydantic import ValidationError
from starlette.requests import Request

from mcp_demo.auth import caller_of
from mcp_demo.tools import Call, Tool, ToolFailure

logger = logging.getLogger("mcp_demo")
NAME = "mcp-demo"
ANNOUNCE_TIMEOUT_S = 2.0


class DemoServer(Server[Any, Request]):
    def __init__(self, tools: list[Tool[Any]]) -> None:
        super().__init__(NAME, version=version("mcp-demo"), instructions="A demo: notes, a slow tool and whoami.")
        self._tools = {tool.name: tool for tool in tools}
        # Sessions that have listed or called tools: the ones to tell when the list changes. The SDK keeps no
        # public list of its sessions; a session that has not listed yet will see the new list when it does.
        self._sessions: WeakSet[ServerSession] = WeakSet()
        self.list_tools()(self._list_tools)  # type: ignore[no-untyped-call]  # the SDK's decorator is untyped
        self.call_tool(validate_input=False)(self._call_tool)  # pydantic validates, without echoing the input

    def create_initialization_options(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        """Advertise ``tools.listChanged``: this server sends ``notifications/tools/list_changed``."""
        return super().create_initialization_options(
            notification_options or NotificationOptions(tools_changed=True), experimental_capabilities
        )

    @property
    def tool_names(self) -> list[str]:
        return list(self._tools)

    async def add_tool(self, tool: Tool[Any]) -> int:
        """Offer one more tool; returns how many sessions were told."""
        self._tools[tool.name] = tool
        return await self._announce_list_changed()

    async def remove_tool(self, name: str) -> int:
        return await self._announce_list_changed() if self._tools.pop(name, None) else 0

    async def _announce_list_changed(self) -> int:
        told = 0
        for session in list(self._sessions):
            try:
                # A session's outgoing stream has no buffer: one that is ending must not hold up the others.
                with anyio.fail_after(ANNOUNCE_TIMEOUT_S):
                    await session.send_tool_list_changed()
                told += 1
            except (anyio.ClosedResourceError, anyio.BrokenResourceError, TimeoutError):
                self._sessions.discard(session)  # ended (or ending) since it last listed
        return told

    async def _list_tools(self) -> list[types.Tool]:
        self._sessions.add(self.request_context.session)
        return [
            types.Tool(
                name=tool.name,
                description=tool.description,
                inputSchema=tool.arguments.model_json_schema(),
                annotations=types.ToolAnnotations(readOnlyHint=tool.read_only),
            )
            for tool in self._tools.values()
        ]

    async def _call_tool(self, name: str, arguments: dict[str, Any]) -> list[types.ContentBlock] | types.CallToolResult:
        context = self.request_context
        self._sessions.add(context.session)
        tool = self._tools.get(name)
        if tool is None:
            return _error(f"unknown tool: {name}")
        request = context.request
        progress_token = context.meta.progressToken if context.meta else None

        async def report_progress(progress: float, total: float | None) -> None:
            if progress_token is not None:
                await context.session.send_progress_notification(
                    progress_token, progress, total, related_request_id=str(context.request_id)
                )

        call = Call(
            caller=caller_of(request),
            request_id=context.request_id,
            session_id=request.headers.get(MCP_SESSION_ID_HEADER) if request is not None else None,
            report_progress=report_progress,
        )
        try:
            text = await tool(arguments, call)
        except ValidationError as invalid:
            return _error(f"invalid arguments for {name}: {_describe(invalid)}")
        except ToolFailure as failure:
            return _error(str(failure))
        except Exception:
            logger.exception("tool %s failed", name)
            return _error(f"{name} failed (an internal error; the server's log has the details)")
        return [types.TextContent(type="text", text=text)]


def _error(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], isError=True)


def _describe(invalid: ValidationError) -> str:
    """The problems, without the input (a note of megabytes is not sent back, nor logged)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'arguments'}: {error['msg']}"
        for error in invalid.errors(include_input=False)
    )
