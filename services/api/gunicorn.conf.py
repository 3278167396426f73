"""Gunicorn for the api: Uvicorn workers, sized and timed for long-lived streams.

gunicorn -c gunicorn.conf.py "chat_api.main:create_app()"
"""

from typing import Any

from chat_api.server.heap import freeze_startup_objects
from chat_api.settings import get_settings

# Validated here, in the master: a missing or malformed variable stops the server with one line naming it,
# before any worker starts (and before gunicorn's own retry loop could hide it).
settings = get_settings()

bind = f"{settings.APP_HOST}:{settings.APP_PORT}"
worker_class = "chat_api.server.worker.ChatWorker"  # uvicorn_worker's, with a shutdown deadline
workers = settings.workers  # WEB_CONCURRENCY, or the cores shared among the replicas on this machine
# Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads new connections evenly.
# On one shared socket, the first worker to wake accepts a whole burst; with nginx keeping its connections
# alive, they then stay there (measured: one worker at 83% of a core, the other at 25%).
reuse_port = True
preload_app = True  # import Semantic Kernel (~1.5 s, ~125 MB) once, and share those pages with every worker


def when_ready(_server: Any) -> None:
    """The app is loaded and no worker forked yet: what it built is left out of every later collection."""
    freeze_startup_objects()


# On shutdown, streams in flight get this long to finish; compose's stop_grace_period must be longer.
graceful_timeout = settings.GRACEFUL_TIMEOUT_S
# The worker heartbeat, not a request timeout: async workers keep beating while their streams run.
timeout = 60
# Idle keep-alive above nginx's upstream keepalive_timeout (60 s), so nginx closes idle connections first
# and never sends a request on a connection the api is closing.
keepalive = 75
# Whose X-Forwarded-For names the client: only the proxy's (nginx, which sets it to the address it saw). Empty by
# default: a client that reaches the api directly is counted by its own address, whatever header it sends.
forwarded_allow_ips = settings.FORWARDED_ALLOW_IPS

# gunicorn's runtime control socket (gunicornc) is not used, and the non-root user has no home to put it in.
control_socket_disable = True

accesslog = None  # the app logs one JSON line per request, with more than an access log knows
errorlog = "-"
loglevel = settings.LOG_LEVEL.lower()
