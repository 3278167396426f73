"""/api/tools: what the signed-in user's answers may call, with the MCP server each comes from (the UI shows
the server and lets the user switch a server off per conversation)."""

from fastapi import APIRouter, Depends

from chat_api.auth.deps import CurrentUser, current_identity
from chat_api.http.errors import error_docs
from chat_api.tools.deps import ToolkitDep
from chat_api.tools.schemas import ToolList

router = APIRouter(
    prefix="/api/tools",
    tags=["tools"],
    dependencies=[Depends(current_identity)],
    responses=error_docs({401: "No valid access token (`unauthorized`)."}),
)


@router.get("", summary="The tools your answers may call, and the MCP servers they come from")
async def list_tools(user: CurrentUser, toolkit: ToolkitDep) -> ToolList:
    return toolkit.describe(user)
