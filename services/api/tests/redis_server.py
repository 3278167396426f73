"""A private Redis for the tests: the machine's own redis-server (Debian's package) on a Unix socket in a
temporary folder, no persistence, stopped by its pid at the end; or REDIS_TEST_URL. `make check` installs
the package on a machine without it."""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


class PrivateRedis:
    """The machine's redis-server on a Unix socket in its own folder; stopped and started again at will (the
    same address), as a Redis restarting without persistence."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="chat-redis-"))
        self.socket = self.root / "redis.sock"
        self.url = f"unix://{self.socket}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - the machine's own redis-server
            [self.binary, "--port", "0", "--unixsocket", str(self.socket), "--save", "", "--appendonly", "no",
             "--dir", str(self.root)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(500):
            if self._accepts():
                return
            time.sleep(0.01)
        raise RuntimeError("redis-server did not start")

    def _accepts(self) -> bool:
        """The socket takes a connection (its file appears at bind, a moment before the server listens)."""
        with socket.socket(socket.AF_UNIX) as probe:
            try:
                probe.connect(str(self.socket))
            except OSError:
                return False
        return True

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
        self.socket.unlink(missing_ok=True)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def redis_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("REQUIRE_REDIS"):
            raise RuntimeError("REQUIRE_REDIS is set but redis-server was not found (apt install redis-server)")
        pytest.skip("no redis-server here (apt install redis-server, or set REDIS_TEST_URL)")
    return binary


@contextlib.contextmanager
def restartable_redis() -> Iterator[PrivateRedis]:
    redis = PrivateRedis(redis_binary())
    try:
        redis.start()
        yield redis
    finally:
        redis.remove()


@contextlib.contextmanager
def private_redis() -> Iterator[str]:
    given = os.environ.get("REDIS_TEST_URL")
    if given:
        yield given
        return
    with restartable_redis() as redis:
        yield redis.url
