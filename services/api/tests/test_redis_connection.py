"""The api's Redis client under uvloop (as in production): a connect cut short while the name is still being
looked up leaves no failure behind ("Future exception was never retrieved: gaierror" in the log while Redis
restarted), and a name that resolves still connects."""

import asyncio
import gc
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvloop
from redis.exceptions import RedisError

from chat_api.redis_connection import open_redis

from .conftest import api_settings
from .redis_server import redis_binary


def unretrieved_failures(url: str, attempts: int) -> list[dict[str, Any]]:
    """What asyncio's exception handler was told while connects to `url` were each cut short at once."""
    reported: list[dict[str, Any]] = []

    async def scenario() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, context: reported.append(context))
        async with open_redis(api_settings("http://unused", REDIS_URL=url)) as redis:
            assert redis is not None
            for _ in range(attempts):
                # The caller gives up before the lookup has answered (a connect timeout, a task cancelled).
                with pytest.raises((TimeoutError, RedisError, OSError)):
                    await asyncio.wait_for(redis.ping(), timeout=0.0005)
            await asyncio.sleep(1)  # the lookups answer meanwhile: no such name
            gc.collect()  # an unread failure is reported when its future is collected

    uvloop.run(scenario())
    gc.collect()
    return reported


def test_a_connect_cut_short_during_the_lookup_leaves_no_unread_failure() -> None:
    reported = unretrieved_failures("redis://redis.invalid:6379", attempts=20)
    assert [context.get("message") for context in reported] == []


@pytest.fixture
def redis_on_tcp() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = subprocess.Popen(  # noqa: S603 - the machine's own redis-server
        [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(500):
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.01)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_name_that_resolves_still_connects(redis_on_tcp: int) -> None:
    async def scenario() -> bytes | str | None:
        async with open_redis(api_settings("http://unused", REDIS_URL=f"redis://localhost:{redis_on_tcp}")) as redis:
            assert redis is not None
            await redis.set("looked-up", "yes")
            value: bytes | str | None = await redis.get("looked-up")
            return value

    assert uvloop.run(scenario()) == b"yes"
