"""The gunicorn worker: Uvicorn's, with a shutdown deadline that falls inside gunicorn's.

On a restart, gunicorn gives each worker `graceful_timeout` seconds, then kills it. Uvicorn on its own waits
for open streams without limit, so a long answer would be cut by that kill with no word to the client. With
this deadline, Uvicorn cancels what is still running a little earlier, and each stream says it is ending
because the service is restarting (see `ChatStreamResponse`).
"""

from typing import Any

from uvicorn_worker import UvicornWorker

MARGIN_S = 3  # time left, after the deadline, for streams to say goodbye and the worker to exit


class ChatWorker(UvicornWorker):  # type: ignore[misc]  # untyped base
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config.timeout_graceful_shutdown = max(1, self.cfg.graceful_timeout - MARGIN_S)
