"""A real MCP server for the tests: the official SDK's FastMCP over Streamable HTTP, served by uvicorn in a
thread of the test process on a port of its own (kept across restarts, to take it down and bring it back).

Its tools: `list_notes` (read), `add_note` (acting), `slow` (read; records when it is cancelled), `whoami`
(read; the caller's token's sub and name), `big` (an oversized result), `broken` (an error result). With a
secret it wants the api's per-user token (HS256, iss chat-api, aud its name) and answers 401 otherwise;
`refusing` answers 401 to everything; `list_delay_s` slows its tool list; `add_tool` adds a tool and tells
every session (`notifications/tools/list_changed`)."""

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jwt
import uvicorn
from mcp import types
from mcp.server.fastmcp import Context, FastMCP
from mcp.server.session import ServerSession
from mcp.types import ToolAnnotations
from starlette.types import ASGIApp, Receive, Scope, Send

READ_ONLY = ToolAnnotations(readOnlyHint=True)


class _FastMCP(FastMCP):
    """Notes each session that lists its tools (to tell them of a new one) and can be slow to list them."""

    def __init__(self, owner: "NotesServer", **settings: Any) -> None:
        self.owner = owner
        super().__init__(**settings)

    async def list_tools(self) -> list[types.Tool]:
        owner = self.owner
        owner.sessions.append(self.get_context().session)
        owner.loop = asyncio.get_running_loop()
        if owner.list_delay_s:
            await asyncio.sleep(owner.list_delay_s)
        return await super().list_tools()


class NotesServer:
    def __init__(self, name: str = "notes", secret: str | None = None, list_delay_s: float = 0.0) -> None:
        self.name = name
        self.secret = secret
        self.list_delay_s = list_delay_s
        self.refusing = False
        self.notes: list[str] = []
        self.cancelled: list[float] = []  # when `slow` saw its cancellation
        self.started: list[float] = []  # when `slow` began
        self.callers: list[dict[str, Any]] = []  # the verified claims of each request
        self.sessions: list[ServerSession] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self.mcp: FastMCP | None = None
        self._serving: tuple[uvicorn.Server, threading.Thread, socket.socket]
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def _build(self) -> FastMCP:
        mcp = _FastMCP(self, name=self.name, log_level="WARNING")

        @mcp.tool(annotations=READ_ONLY)
        def list_notes() -> str:
            """The notes kept so far, one a line."""
            return "\n".join(self.notes) or "(no notes)"

        @mcp.tool()
        def add_note(text: str) -> str:
            """Keep a note."""
            self.notes.append(text)
            return f"kept: {text}"

        @mcp.tool(annotations=READ_ONLY)
        async def slow(seconds: float = 30) -> str:
            """Waits, then says so."""
            self.started.append(time.time())
            try:
                await asyncio.sleep(seconds)
            except asyncio.CancelledError:
                self.cancelled.append(time.time())
                raise
            return f"waited {seconds:g} s"

        @mcp.tool(annotations=READ_ONLY)
        def whoami(ctx: Context[ServerSession, Any]) -> str:
            """Who is calling."""
            request = ctx.request_context.request
            header = request.headers.get("authorization", "") if request is not None else ""
            claims = jwt.decode(header.removeprefix("Bearer "), options={"verify_signature": False}) if header else {}
            return f"sub={claims.get('sub')} name={claims.get('name')}"

        @mcp.tool(annotations=READ_ONLY)
        def big() -> str:
            """A very long answer."""
            return "x" * 200_000

        @mcp.tool(annotations=READ_ONLY)
        def broken() -> str:
            """Always fails."""
            raise ValueError("the notes are on fire")

        return mcp

    def add_tool(self, name: str) -> None:
        """A new read tool, then `list_changed` to every session that listed the tools."""
        assert self.mcp is not None and self.loop is not None

        def added() -> str:
            return f"{name} works"

        self.mcp.add_tool(added, name=name, description=f"A tool added later ({name}).", annotations=READ_ONLY)
        for session in self.sessions:
            future = asyncio.run_coroutine_threadsafe(session.send_tool_list_changed(), self.loop)
            with contextlib.suppress(Exception):  # a session that has ended
                future.result(timeout=2)

    def _guarded(self, inner: ASGIApp) -> ASGIApp:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and (self.refusing or self.secret):
                header = dict(scope["headers"]).get(b"authorization", b"").decode()
                claims = None if self.refusing else self._verified(header)
                if claims is None:
                    await send({"type": "http.response.start", "status": 401, "headers": []})
                    await send({"type": "http.response.body", "body": b"{}"})
                    return
                self.callers.append(claims)
            await inner(scope, receive, send)

        return app

    def _verified(self, header: str) -> dict[str, Any] | None:
        assert self.secret is not None
        try:
            claims: dict[str, Any] = jwt.decode(
                header.removeprefix("Bearer "), self.secret, algorithms=["HS256"], audience=self.name, issuer="chat-api"
            )
        except jwt.PyJWTError:
            return None
        return claims

    def start(self) -> str:
        """Serve it (a fresh FastMCP each time: its session manager runs once) on its port."""
        self.mcp = self._build()
        self.sessions = []
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        config = uvicorn.Config(
            self._guarded(self.mcp.streamable_http_app()),
            access_log=False,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=0,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test MCP server did not start")
            time.sleep(0.01)
        self._serving = (server, thread, sock)
        return self.url

    def stop(self) -> None:
        server, thread, sock = self._serving
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    @contextmanager
    def running(self) -> Iterator[str]:
        try:
            yield self.start()
        finally:
            self.stop()
