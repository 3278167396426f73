"""What `GET /api/tools` returns: the tools the user's answers may call, and the MCP servers they come from."""

from pydantic import BaseModel, Field


class ToolView(BaseModel):
    name: str = Field(description="As the model calls it and tool events name it: `<server>-<tool>`.")
    tool: str = Field(description="Its name on its server.")
    server: str | None = Field(description="The MCP server it comes from; null for the api's own tools.")
    description: str
    acting: bool = Field(description="It changes something: the user is asked before each call.")


class McpServerView(BaseModel):
    name: str = Field(description="Switch it off for a conversation with PATCH `mcp_servers_off`.")
    available: bool = Field(description="Its tools are known and its listing session is connected now.")


class ToolList(BaseModel):
    enabled: bool = Field(description="Tools are on for this api (TOOLS_ENABLED).")
    items: list[ToolView]
    servers: list[McpServerView] = Field(description="The MCP servers the user's tier may use.")
