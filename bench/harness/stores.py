"""A private Postgres and Redis for the benchmarks, as the compose stack has them: the machine's own binaries
(Debian's postgresql and redis-server), on Unix sockets in the work folder, stopped by their own pid files.
Loopback only; nothing outlives the run. And the work folder they live in."""

import glob
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _as_postgres(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: as root, run them as the `postgres` user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgres(work: Path) -> Iterator[str]:
    """An empty database in a new cluster; yields its URL (postgresql://, for the api's DATABASE_URL)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise SystemExit("needs PostgreSQL's binaries (Debian: apt-get install postgresql)")
    binaries = Path(found[-1]).parent
    root = work / "postgres"
    data, sockets = root / "data", root / "socket"
    sockets.mkdir(parents=True)
    if os.geteuid() == 0:
        for path in (root, sockets):
            shutil.chown(path, "postgres")
    run: dict[str, Any] = {"check": True, "capture_output": True, "timeout": 60}
    subprocess.run(_as_postgres([str(binaries / "initdb"), "-D", str(data), "-U", "chat", "-A", "trust"]), **run)  # noqa: S603
    # As a server for a chat service would be tuned: more connections than the default, no fsync wait per
    # commit (an answer's progress is saved about once a second; losing the last second in a crash is what
    # the lease already allows for).
    options = f"-c listen_addresses='' -k {sockets} -c max_connections=200 -c synchronous_commit=off"
    start = [str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(root / "log"), "start"]
    subprocess.run(_as_postgres(start), **run)  # noqa: S603
    try:
        subprocess.run(_as_postgres([str(binaries / "createdb"), "-h", str(sockets), "-U", "chat", "chat"]), **run)  # noqa: S603
        yield f"postgresql://chat@/chat?host={sockets}"
    finally:
        subprocess.run(_as_postgres([str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]), **run)  # noqa: S603


@contextmanager
def redis(work: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("needs redis-server (Debian: apt-get install redis-server)")
    root = work / "redis"
    root.mkdir(parents=True)
    socket = root / "redis.sock"
    process = subprocess.Popen(  # noqa: S603 - the machine's own redis-server
        [binary, "--port", "0", "--unixsocket", str(socket), "--save", "", "--appendonly", "no", "--dir", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(500):
            if socket.exists():
                break
            time.sleep(0.01)
        yield f"unix://{socket}"
    finally:
        process.terminate()
        process.wait(timeout=10)


WORK = Path(__file__).resolve().parent.parent / ".work"  # bench/.work


def fresh_work() -> Path:
    """The benchmarks' work folder (bench/.work), emptied."""
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    return WORK


def migrate(checkout: Path, stores: dict[str, str]) -> None:
    """As compose's migrate step: the schema, before the api starts."""
    api_dir = checkout / "services/api"
    subprocess.run(  # noqa: S603 - the api's own alembic
        [str(api_dir / ".venv/bin/alembic"), "upgrade", "head"],
        cwd=api_dir, env={**os.environ, **stores}, check=True, capture_output=True, timeout=120,
    )  # fmt: skip


@contextmanager
def migrated_stores(work: Path, checkout: Path) -> Iterator[dict[str, str]]:
    """Postgres and Redis of their own in `work`, the schema migrated: the api's DATABASE_URL and REDIS_URL."""
    with postgres(work) as database, redis(work) as cache:
        stores = {"DATABASE_URL": database, "REDIS_URL": cache}
        migrate(checkout, stores)
        yield stores
