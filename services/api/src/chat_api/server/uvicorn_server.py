"""Uvicorn's server, marking the process as shutting down before it stops taking connections, and keeping what
start-up built out of the garbage collector's passes once it has started."""

import socket

import uvicorn

from chat_api.server import shutdown
from chat_api.server.heap import freeze_startup_objects


class ChatServer(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            freeze_startup_objects()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        shutdown.begin()
        await super().shutdown(sockets)
