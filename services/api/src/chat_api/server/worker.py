"""The gunicorn worker: Uvicorn's, with a shutdown deadline that falls inside gunicorn's.

On a restart, gunicorn gives each worker `graceful_timeout` seconds, then kills it. Uvicorn on its own waits
for open streams without limit, so a long answer would be cut by that kill with no word to the client. With
this deadline, Uvicorn cancels what is still running a little earlier, and each stream says it is ending
because the service is restarting (see `chat.response`).
"""

import sys
from typing import Any

from gunicorn.arbiter import Arbiter
from uvicorn_worker import UvicornWorker

from chat_api.server.shutdown import MARGIN_S
from chat_api.server.uvicorn_server import ChatServer


class ChatWorker(UvicornWorker):  # type: ignore[misc]  # untyped base
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config.timeout_graceful_shutdown = max(1, self.cfg.graceful_timeout - MARGIN_S)

    async def _serve(self) -> None:
        # As UvicornWorker._serve, with our server (which knows when the process is shutting down).
        self.config.app = self.wsgi
        server = ChatServer(config=self.config)
        self._install_sigquit_handler()
        await server.serve(sockets=self.sockets)
        if not server.started:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)
