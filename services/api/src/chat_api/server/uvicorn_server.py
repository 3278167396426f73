"""Uvicorn's server, marking the process as shutting down before it stops taking connections."""

import socket

import uvicorn

from chat_api.server import shutdown


class ChatServer(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        shutdown.begin()
        await super().shutdown(sockets)
