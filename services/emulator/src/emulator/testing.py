"""Serve an ASGI app on a loopback port from a background thread: for tests that need a real socket.

A real server (not an in-memory transport) is what lets tests see chunks arrive one by one and clients
disconnect mid-stream.
"""

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import uvicorn
from starlette.types import ASGIApp

from emulator.request_log import RequestLog, RequestRecord


@contextmanager
def serve(
    app: ASGIApp,
    host: str = "127.0.0.1",
    startup_timeout: float = 10.0,
    graceful_s: int | None = None,
    server_class: type[uvicorn.Server] = uvicorn.Server,
) -> Iterator[str]:
    """Yield the base URL of ``app`` served by uvicorn (``server_class``); stop the server on exit, cancelling
    what still runs after ``graceful_s`` (None: wait for it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        http="httptools",
        access_log=False,
        log_level="warning",
        lifespan="auto",
        timeout_graceful_shutdown=graceful_s,
    )
    server = server_class(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"test server on port {port} did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


T = TypeVar("T")


async def eventually(probe: Callable[[], T | None], within: float = 2.0, what: str = "condition") -> T:
    """Poll ``probe`` until it returns something truthy: for facts a server records a moment later."""
    for _ in range(int(within / 0.005)):
        result = probe()
        if result:
            return result
        await asyncio.sleep(0.005)
    raise AssertionError(f"{what} not met within {within}s")


async def request_ended(log: RequestLog, tag: str) -> RequestRecord:
    """The request tagged ``tag`` once it has ended (its record is closed just after the response)."""

    def ended() -> RequestRecord | None:
        records = log.recent(tag=tag)
        return records[-1] if records and records[-1].ended_at is not None else None

    return await eventually(ended, what=f"end of request {tag}")
