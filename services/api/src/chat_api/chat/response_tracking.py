"""The upstream HTTP responses a reading task opened, so that stopping the task closes them for certain.

Cancelling the task that iterates Semantic Kernel's stream closes the upstream response only when the
cancellation lands inside the HTTP read. Under load it often lands elsewhere (waiting for room in the queue,
or yielding to the relay); the response then stays open until garbage collection and the model goes on
generating for nobody (measured: about 1 stream in 5 of 50 abandoned at once). So the Azure OpenAI client's
response hook records every response in the reading task's context, and the stream closes them itself.
"""

import contextlib
import socket
from contextvars import ContextVar

import httpx2

Opened = list[httpx2.Response]
_opened: ContextVar[Opened | None] = ContextVar("upstream_responses", default=None)


async def remember(response: httpx2.Response) -> None:
    """The HTTP client's response hook: runs in the context of the task that sent the request."""
    opened = _opened.get()
    if opened is not None:
        opened.append(response)


def track() -> Opened:
    """Start recording, in the current task's context, the responses it opens from now on."""
    opened: Opened = []
    _opened.set(opened)
    return opened


async def close(responses: Opened) -> None:
    for response in responses:
        await response.aclose()  # a response read to its end is already closed: this is then a no-op


def shut(responses: Opened) -> None:
    """Shut the connections of the responses still open, without waiting: the server sees them end now, where
    `close` would take several turns of the event loop (each as long as all the other streams' work in it, under
    load). `close` must still follow, to release them. An HTTP/2 connection may carry other requests, so only
    HTTP/1.1 ones are shut (the SDK's default)."""
    for response in responses:
        if response.is_closed or response.http_version != "HTTP/1.1":
            continue
        network = response.extensions.get("network_stream")
        connection = network.get_extra_info("socket") if network is not None else None
        if connection is None or connection.fileno() < 0:
            continue
        # Through a duplicate descriptor: uvloop hands out a stand-in socket that refuses `shutdown`, and a
        # shutdown acts on the connection, whichever descriptor asks.
        descriptor = connection.fileno()
        with contextlib.suppress(OSError), socket.fromfd(descriptor, connection.family, connection.type) as duplicate:
            duplicate.shutdown(socket.SHUT_RDWR)
