"""Redis connections that look their host's name up themselves, then connect to an address; the client every
process (and the admin commands) opens from the settings.

uvloop's `create_connection` looks the name up in a future of its own and waits for it without cancelling it:
when the connect is cut short meanwhile (redis-py's connect timeout, a task cancelled) and the lookup then
fails, as it does while Docker's DNS forgets a restarting `redis`, nobody reads that failure and asyncio logs
"Future exception was never retrieved: gaierror". The loop's own `getaddrinfo`, awaited here, is cancelled
with its caller; a connect to an address needs no lookup.
"""

import asyncio
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection, Connection, SSLConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from chat_api.settings import Settings


class LookedUpConnection(Connection):
    _address: str | None = None

    async def _connect(self) -> None:
        async with asyncio.timeout(self.socket_connect_timeout):
            found = await asyncio.get_running_loop().getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
        for address in addresses:  # in the resolver's order, as asyncio's own connect would try them
            self._address = address
            try:
                await super()._connect()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
                return
            except (OSError, TimeoutError):
                if address == addresses[-1]:
                    raise
            finally:
                self._address = None

    def _connection_arguments(self) -> Mapping[str, Any]:
        arguments = dict(super()._connection_arguments())
        if self._address is not None:
            if arguments.get("ssl") is not None:
                arguments["server_hostname"] = self.host  # TLS checks the certificate against the name
            arguments["host"] = self._address
        return arguments


class LookedUpSSLConnection(LookedUpConnection, SSLConnection):
    pass


LOOKED_UP: dict[type[AbstractConnection], type[AbstractConnection]] = {
    Connection: LookedUpConnection,
    SSLConnection: LookedUpSSLConnection,
}


def look_names_up_first(redis: Redis) -> Redis:
    """The client's new connections look their name up first (`redis://` and `rediss://`; a Unix socket has
    no name to look up)."""
    pool = redis.connection_pool
    pool.connection_class = LOOKED_UP.get(pool.connection_class, pool.connection_class)
    return redis


@asynccontextmanager
async def open_redis(settings: Settings) -> AsyncIterator[Redis | None]:
    if settings.REDIS_URL is None:
        yield None
        return
    # A connection the pool kept across a Redis restart fails its next command ("Connection closed by server"):
    # reconnected and sent once more, that command is not lost (a Stop, a send's limits, a sweeper's read). A
    # command whose connection broke after it ran is sent twice too: the event log's append checks the Stream's
    # last id, a second Stop is the same Stop, and the limits count that send twice, never less.
    redis = look_names_up_first(
        Redis.from_url(
            settings.REDIS_URL.get_secret_value(),
            max_connections=200,
            retry=Retry(NoBackoff(), retries=1),
            retry_on_error=[RedisConnectionError],
        )
    )
    try:
        yield redis
    finally:
        await redis.aclose()
