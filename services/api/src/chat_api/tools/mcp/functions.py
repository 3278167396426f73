"""A server's tools as Semantic Kernel functions, as SK's own MCP connector maps them (the description and each
parameter's JSON schema from the tool's `inputSchema`), under the server's name as their plugin (so the model
sees `<server>-<tool>`), with our marks (`tool_spec`: acting, timeout) for approvals and bounds. Calling one goes
through `call`, which finds the session of the user the answer is for."""

import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

from semantic_kernel.functions import KernelFunction, KernelFunctionFromMethod, kernel_function
from semantic_kernel.functions.kernel_parameter_metadata import KernelParameterMetadata

from chat_api.tools.mcp.config import McpServer
from chat_api.tools.spec import ToolSpec

if TYPE_CHECKING:
    from mcp import types

logger = logging.getLogger("chat_api.tools.mcp")

QUALIFIED_NAME_MAX: Final = 64  # what the model's API accepts as a function's name
DESCRIPTION_MAX: Final = 1024
PARAMETER_NAME: Final = re.compile(r"^[0-9A-Za-z_-]+$")
# Names Semantic Kernel fills itself (the kernel, the arguments...), never from the model's arguments.
RESERVED_PARAMETERS: Final = frozenset({"kernel", "service", "execution_settings", "arguments"})

McpCall = Callable[[McpServer, str, dict[str, Any]], Awaitable[str]]


def is_acting(server: McpServer, tool: "types.Tool") -> bool:
    """Configured (`acting`), else every tool the server does not mark read-only."""
    if server.config.acting is not None:
        return tool.name in server.config.acting
    return not (tool.annotations is not None and tool.annotations.readOnlyHint is True)


def tool_functions(server: McpServer, tools: list["types.Tool"], call: McpCall) -> list[KernelFunction]:
    functions: dict[str, KernelFunction] = {}
    for tool in tools:
        if not server.offers(tool.name):
            continue
        local = re.sub(r"[^0-9A-Za-z_-]", "_", tool.name)
        if len(server.name) + 1 + len(local) > QUALIFIED_NAME_MAX or local in functions:
            logger.warning(
                "an MCP tool is left out: its name is too long or taken",
                extra={"fields": {"server": server.name, "tool": tool.name[:100]}},
            )
            continue
        functions[local] = _function(server, tool, local, call)
    return list(functions.values())


def _function(server: McpServer, tool: "types.Tool", local: str, call: McpCall) -> KernelFunction:
    async def invoke(**arguments: Any) -> str:
        return await call(server, tool.name, arguments)

    description = (tool.description or tool.title or tool.name)[:DESCRIPTION_MAX]
    method = kernel_function(name=local, description=description)(invoke)
    spec = ToolSpec(acting=is_acting(server, tool), timeout_s=server.config.timeout_s)
    return KernelFunctionFromMethod(
        method=method,
        plugin_name=server.name,
        parameters=parameters_of(tool.inputSchema),
        return_parameter=KernelParameterMetadata.model_validate(
            {"name": "return", "description": "", "type": "str", "is_required": True, "schema_data": {"type": "string"}}
        ),
        additional_metadata={"tool_spec": spec, "mcp_server": server.name, "mcp_tool": tool.name},
    )


def parameters_of(schema: dict[str, Any]) -> list[KernelParameterMetadata]:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return []
    required = set(schema.get("required") or ())
    parameters = []
    for name, detail in properties.items():
        if not isinstance(name, str) or not PARAMETER_NAME.match(name) or name in RESERVED_PARAMETERS:
            continue
        detail = detail if isinstance(detail, dict) else {}
        kind = detail.get("type")
        parameters.append(
            KernelParameterMetadata.model_validate(
                {
                    "name": name,
                    "description": detail.get("description"),
                    "default_value": detail.get("default"),
                    "type": kind if isinstance(kind, str) else None,
                    "is_required": name in required,
                    "schema_data": detail,
                }
            )
        )
    return parameters
