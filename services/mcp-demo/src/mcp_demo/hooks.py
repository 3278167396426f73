"""The test-only admin surface under /_demo/ (not MCP), served only when MCP_DEMO_TEST_HOOKS=true.

GET cancellations: what the slow tool recorded. GET running: the slow tool's calls in flight. POST tools/extra:
offer `echo` and send ``notifications/tools/list_changed``. POST reject {"status": 401 | null}: answer every MCP
request with that status (null: back to normal). POST reset: notes, cancellations, rejection and extra tool gone.
"""

from json import JSONDecodeError
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_demo.cancellations import CancellationLog
from mcp_demo.server import DemoServer
from mcp_demo.store import NoteStore
from mcp_demo.tools import DemoTools


class Rejection:
    """ASGI middleware in front of MCP: while a status is set, every MCP request gets it (an outage on demand)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self.status: int | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.status is None or scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        await JSONResponse({"error": f"rejected by the test hook ({self.status})"}, self.status)(scope, receive, send)


class TestHooks:
    __test__ = False  # not a pytest class

    def __init__(
        self,
        server: DemoServer,
        tools: DemoTools,
        store: NoteStore,
        cancellations: CancellationLog,
        rejection: Rejection,
    ) -> None:
        self._server = server
        self._tools = tools
        self._store = store
        self._cancellations = cancellations
        self._rejection = rejection

    def routes(self) -> list[Route]:
        return [
            Route("/_demo/cancellations", self.cancellations, methods=["GET"]),
            Route("/_demo/running", self.running, methods=["GET"]),
            Route("/_demo/tools/extra", self.add_extra_tool, methods=["POST"]),
            Route("/_demo/reject", self.reject, methods=["POST"]),
            Route("/_demo/reset", self.reset, methods=["POST"]),
        ]

    async def cancellations(self, _: Request) -> Response:
        return JSONResponse([record.as_dict() for record in self._cancellations.records()])

    async def running(self, _: Request) -> Response:
        return JSONResponse(self._cancellations.running())

    async def add_extra_tool(self, _: Request) -> Response:
        told = await self._server.add_tool(self._tools.extra())
        return JSONResponse({"tools": self._server.tool_names, "sessions_told": told})

    async def reject(self, request: Request) -> Response:
        try:
            body: Any = await request.json()
        except JSONDecodeError:
            return _bad_request('the body must be JSON: {"status": 401} or {"status": null}')
        status = body.get("status", ...) if isinstance(body, dict) else ...
        if status is not None and not (type(status) is int and 400 <= status <= 599):
            return _bad_request("`status` must be an HTTP error status (400 to 599) or null")
        self._rejection.status = status
        return JSONResponse({"status": status})

    async def reset(self, _: Request) -> Response:
        self._store.clear()
        self._cancellations.clear()
        self._rejection.status = None
        await self._server.remove_tool(self._tools.extra().name)
        return JSONResponse({"tools": self._server.tool_names})


def _bad_request(message: str) -> Response:
    return JSONResponse({"error": message}, 400)
