"""The HTTP surface: MCP over Streamable HTTP at /mcp (behind the token check), /healthz, and the test hooks."""

import contextlib
import logging
from collections.abc import AsyncIterator

from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from mcp_demo.auth import BearerAuth, TokenVerifier
from mcp_demo.cancellations import CancellationLog
from mcp_demo.hooks import Rejection, TestHooks
from mcp_demo.request_log import RequestLog, configure_logging
from mcp_demo.server import DemoServer
from mcp_demo.settings import Settings, get_settings
from mcp_demo.store import NoteStore
from mcp_demo.tools import DemoTools

MCP_PATH = "/mcp"


def create_app(settings: Settings | None = None) -> RequestLog:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    store, cancellations = NoteStore(), CancellationLog()
    tools = DemoTools(store, cancellations)
    server = DemoServer(tools.standard())
    # The server is reached by its service name on an internal network, so the SDK's Host-header check (DNS
    # rebinding protection, for servers on a browser's loopback) is left off; the token is the gate.
    sessions = StreamableHTTPSessionManager(server, session_idle_timeout=settings.session_idle_s)
    verifier = (
        TokenVerifier(settings.token_secret.get_secret_value(), settings.audience, settings.issuer)
        if settings.token_secret
        else None
    )
    rejection = Rejection(BearerAuth(sessions.handle_request, verifier))

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with sessions.run():
            yield

    routes = [
        Route(MCP_PATH, rejection, methods=["GET", "POST", "DELETE"]),
        Route("/healthz", _health, methods=["GET"]),
    ]
    if settings.test_hooks:
        routes += TestHooks(server, tools, store, cancellations, rejection).routes()
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={Exception: _server_error})
    return RequestLog(app, cancellations)


async def _health(_: Request) -> Response:
    return PlainTextResponse("ok")


async def _server_error(_: Request, exc: Exception) -> Response:
    logging.getLogger("mcp_demo").exception("unexpected error", exc_info=exc)
    return JSONResponse({"error": "internal error"}, 500)
