"""One MCP session to one server, alive in a task of its own (the SDK's sessions and transports are anyio task
groups: entered and left in one task), used by any request's task. Connect, initialize and list are bounded by
the server's connect timeout; a call races the session's end, so a server that goes away never leaves a call
waiting; and a call cut short (a Stop, its timeout, the answer's end) tells the server with
`notifications/cancelled` for its request id, which the SDK does not send itself."""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextvars import ContextVar
from datetime import timedelta
from typing import Any, Final

import httpx
from mcp import ClientSession, types
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import McpError
from mcp.shared.session import ReceiveResultT, RequestResponder

logger = logging.getLogger("chat_api.tools.mcp")

READ_TIMEOUT_S: Final = 300.0  # of the server's event streams (a long call's answer, its notifications)
CANCEL_SEND_S: Final = 5.0  # a `notifications/cancelled` that cannot be sent by then is given up
LIST_PAGES_MAX: Final = 20

_call_ids: ContextVar[list[types.RequestId] | None] = ContextVar("mcp_call_ids", default=None)


class Unavailable(Exception):
    """The server cannot be used now, in plain words (no address, no secret)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Session(ClientSession):
    """Notes the request id of each `tools/call` it sends, where the caller asked (`_call_ids`)."""

    async def send_request(
        self, request: types.ClientRequest, result_type: type[ReceiveResultT], *args: Any, **kwargs: Any
    ) -> ReceiveResultT:
        ids = _call_ids.get()
        if ids is not None and isinstance(request.root, types.CallToolRequest):
            ids.append(self._request_id)  # the id `send_request` is about to give it
        return await super().send_request(request, result_type, *args, **kwargs)


# The connection itself broke (the server went away): its requests will never be answered (the SDK's client
# waits on; a timeout is not among them: an idle event stream times out and is opened again, harmlessly).
BROKEN: Final = (httpx.ConnectError, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)


class _WatchedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, on_broken: Callable[[], None]) -> None:
        self._inner = inner
        self._on_broken = on_broken

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except BROKEN:
            self._on_broken()
            raise

    async def aclose(self) -> None:
        await self._inner.aclose()


class _WatchedTransport(httpx.AsyncBaseTransport):
    """The session's HTTP transport, telling it when the connection broke, requests and streams alike: a server
    killed mid-call ends the call now, not at its timeout."""

    def __init__(self, on_broken: Callable[[], None]) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._on_broken = on_broken

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._inner.handle_async_request(request)
        except BROKEN:
            self._on_broken()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _WatchedStream(response.stream, self._on_broken)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class Connection:
    def __init__(
        self,
        url: str,
        headers: dict[str, str],
        auth: httpx.Auth | None,
        connect_timeout_s: float,
        on_tools_changed: Callable[["Connection"], None] | None = None,
    ) -> None:
        self.url = url
        self.connect_timeout_s = connect_timeout_s
        self.tools: list[types.Tool] = []
        self.closed = asyncio.Event()
        self.failure: str | None = None  # why it ended, when it was not closed on purpose
        self.last_used = time.monotonic()
        self.in_flight = 0
        self._headers = headers
        self._auth = auth
        self._on_tools_changed = on_tools_changed
        self._session: _Session | None = None
        self._closing = asyncio.Event()
        self._owner: asyncio.Task[None] | None = None
        self._ended: asyncio.Future[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()

    @property
    def alive(self) -> bool:
        return self._session is not None and not self.closed.is_set()

    async def open(self) -> None:
        """Connect, initialize and list the tools, within the connect timeout; `Unavailable` says why not."""
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        ready.add_done_callback(_read_outcome)
        self._ended = loop.create_future()
        self._owner = asyncio.create_task(self._own(ready), name="mcp-session")
        try:
            async with asyncio.timeout(self.connect_timeout_s):
                await asyncio.shield(ready)
        except TimeoutError:
            await self._end_owner()
            raise Unavailable(f"it did not answer within {self.connect_timeout_s:g} s") from None
        except BaseException:
            await self._end_owner()
            raise

    async def aclose(self) -> None:
        """End the session (its tasks too); what is still sent at the end (DELETE) is bounded."""
        self._closing.set()
        for task in list(self._background):
            task.cancel()
        owner = self._owner
        if owner is None or owner.done():
            return
        try:
            async with asyncio.timeout(self.connect_timeout_s):
                await asyncio.shield(owner)
        except TimeoutError:
            await self._end_owner()
        except Exception:  # noqa: S110 - its failure was recorded by the owner itself
            pass

    async def _end_owner(self) -> None:
        """Cancel the session's task and wait for it to unwind: its HTTP connections are closed on return, not
        left to a loop that may be closing."""
        owner = self._owner
        if owner is None or owner.done():
            return
        owner.cancel()
        await asyncio.wait({owner})

    async def call(self, tool: str, arguments: dict[str, Any], timeout_s: float) -> types.CallToolResult:
        """The server's result (`McpError`: it answered with an error). Cancelled, it sends the server
        `notifications/cancelled` in the background and returns at once."""
        session, ended = self._session, self._ended
        if session is None or ended is None or self.closed.is_set():
            raise Unavailable(self.failure or "the session has ended")
        ids: list[types.RequestId] = []
        token = _call_ids.set(ids)
        try:
            read_timeout = timedelta(seconds=timeout_s + 5)  # a backstop: the caller's own timeout comes first
            calling = asyncio.ensure_future(session.call_tool(tool, arguments, read_timeout_seconds=read_timeout))
        finally:
            _call_ids.reset(token)
        self.in_flight += 1
        try:
            waiting: set[asyncio.Future[Any]] = {calling, ended}
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            calling.cancel()
            self._cancel_on_server(session, ids, "The call was stopped (the user stopped the answer, or it timed out).")
            raise
        finally:
            self.in_flight -= 1
            self.last_used = time.monotonic()
        if calling not in done:
            calling.cancel()
            raise Unavailable(self.failure or "the connection was lost during the call")
        try:
            return calling.result()
        except McpError as error:
            if error.error.code == httpx.codes.REQUEST_TIMEOUT:
                self._cancel_on_server(session, ids, "The call timed out.")
            raise

    def _cancel_on_server(self, session: _Session, ids: list[types.RequestId], reason: str) -> None:
        for request_id in ids:
            notification = types.ClientNotification(
                types.CancelledNotification(
                    params=types.CancelledNotificationParams(requestId=request_id, reason=reason)
                )
            )
            self._spawn(asyncio.wait_for(session.send_notification(notification), CANCEL_SEND_S))

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(_read_outcome)

    async def _own(self, ready: asyncio.Future[None]) -> None:
        try:
            timeout = httpx.Timeout(self.connect_timeout_s, read=READ_TIMEOUT_S)
            async with (
                httpx.AsyncClient(
                    headers=self._headers, auth=self._auth, timeout=timeout, transport=_WatchedTransport(self._broke)
                ) as http,
                streamable_http_client(self.url, http_client=http) as (read, write, _),
                _Session(read, write, message_handler=self._on_message) as session,
            ):
                await session.initialize()
                self.tools = await list_tools(session)
                self._session = session
                self.last_used = time.monotonic()
                ready.set_result(None)
                await self._closing.wait()
        except BaseException as error:
            reason = describe_failure(error)
            if not ready.done():
                ready.set_exception(Unavailable(reason))
            elif not self._closing.is_set():
                self.failure = reason
                logger.warning("an MCP session ended", extra={"fields": {"reason": reason}})
            if not isinstance(error, Exception):
                raise
        finally:
            self._session = None
            self.closed.set()
            if self._ended is not None and not self._ended.done():
                self._ended.set_result(None)

    def _broke(self) -> None:
        if self._session is not None and not self._closing.is_set():
            self.failure = "the connection to it was lost"
            self._closing.set()

    async def _on_message(
        self,
        message: RequestResponder[types.ServerRequest, types.ClientResult] | types.ServerNotification | Exception,
    ) -> None:
        # Runs in the session's receive loop: a request of ours awaited here could never be answered.
        root = message.root if isinstance(message, types.ServerNotification) else None
        if isinstance(root, types.ToolListChangedNotification):
            self._spawn(self._relist())

    async def _relist(self) -> None:
        session = self._session
        if session is None:
            return
        try:
            async with asyncio.timeout(self.connect_timeout_s):
                self.tools = await list_tools(session)
        except (TimeoutError, McpError) as error:
            logger.warning("an MCP server's new tool list could not be read", extra={"fields": {"error": str(error)}})
            return
        if self._on_tools_changed is not None:
            self._on_tools_changed(self)


async def list_tools(session: ClientSession) -> list[types.Tool]:
    tools: list[types.Tool] = []
    cursor: str | None = None
    for _ in range(LIST_PAGES_MAX):
        page = await session.list_tools(params=types.PaginatedRequestParams(cursor=cursor) if cursor else None)
        tools += page.tools
        cursor = page.nextCursor
        if not cursor:
            break
    return tools


def describe_failure(error: BaseException) -> str:
    """Why a session failed, in plain words: never the server's address (httpx's messages carry it)."""
    for cause in _leaves(error):
        if isinstance(cause, httpx.HTTPStatusError):
            status = cause.response.status_code
            if status in (401, 403):
                return f"it refused the api's credentials (HTTP {status})"
            return f"it answered HTTP {status}"
        if isinstance(cause, httpx.TimeoutException):
            return "it did not answer in time"
        if isinstance(cause, httpx.TransportError | OSError):
            return "it could not be reached"
        if isinstance(cause, McpError):
            return f"it refused the session ({cause.error.message[:200]})"
    if isinstance(error, asyncio.CancelledError):
        return "the session was cancelled"
    return "the connection failed"


def _leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]


def _read_outcome(future: "asyncio.Future[Any]") -> None:
    """Reads a background future's outcome, so that a failure nobody awaits is not reported as never retrieved."""
    if not future.cancelled():
        with contextlib.suppress(BaseException):
            future.exception()
