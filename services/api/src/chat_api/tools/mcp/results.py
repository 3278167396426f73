"""What a server's answer to a call becomes for the model: its text contents joined (other kinds named, not
sent); an `isError` answer, a plain error with its text bounded. (Its size is bounded after, as every tool's.)"""

from typing import Final

import orjson
from mcp import types

from chat_api.tools.errors import ToolError

ERROR_CHARS: Final = 500


def result_text(result: types.CallToolResult) -> str:
    parts: list[str] = []
    for item in result.content:
        if isinstance(item, types.TextContent):
            parts.append(item.text)
        elif isinstance(item, types.EmbeddedResource) and isinstance(item.resource, types.TextResourceContents):
            parts.append(item.resource.text)
        else:
            parts.append(f"[{item.type} content left out]")
    if not parts and result.structuredContent is not None:
        parts.append(orjson.dumps(result.structuredContent).decode())
    text = "\n".join(parts)
    if result.isError:
        bounded = text.strip()[:ERROR_CHARS] or "The tool reported an error without saying which."
        raise ToolError(bounded)
    return text
