"""A private Redis for the tests: the machine's own redis-server (Debian's package) on a Unix socket in a
temporary folder, no persistence, stopped by its pid at the end; or REDIS_TEST_URL. `make check` installs
the package on a machine without it."""

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def private_redis() -> Iterator[str]:
    given = os.environ.get("REDIS_TEST_URL")
    if given:
        yield given
        return
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("REQUIRE_REDIS"):
            raise RuntimeError("REQUIRE_REDIS is set but redis-server was not found (apt install redis-server)")
        pytest.skip("no redis-server here (apt install redis-server, or set REDIS_TEST_URL)")
    root = Path(tempfile.mkdtemp(prefix="chat-redis-"))
    socket = root / "redis.sock"
    process = subprocess.Popen(  # noqa: S603 - the machine's own redis-server
        [binary, "--port", "0", "--unixsocket", str(socket), "--save", "", "--appendonly", "no", "--dir", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            if socket.exists():
                break
            time.sleep(0.01)
        yield f"unix://{socket}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)
