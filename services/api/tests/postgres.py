"""A private Postgres for the tests: a throwaway cluster from the machine's own binaries (Debian's postgresql
package), on a Unix socket in a temporary folder, stopped by its own pid file at the end. Or an existing
server, when TEST_DATABASE_URL names one. `make check` installs the package on a machine without it."""

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from chat_api.storage.schema import upgrade_schema


def _binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


def _as_postgres(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: as root, run them as the `postgres` user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def private_cluster() -> Iterator[str]:
    """Yields the URL of the new cluster's `postgres` database; the cluster is gone afterwards."""
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        yield given
        return
    binaries = _binaries()
    if binaries is None:
        if os.environ.get("REQUIRE_POSTGRES"):
            raise RuntimeError("REQUIRE_POSTGRES is set but no Postgres binaries were found (apt install postgresql)")
        pytest.skip("no Postgres here (apt install postgresql, or set TEST_DATABASE_URL)")
    root = Path(tempfile.mkdtemp(prefix="chat-pg-"))
    data, socket_dir = root / "data", root / "socket"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(socket_dir, "postgres")
    run: dict[str, Any] = {"check": True, "capture_output": True, "timeout": 60}
    subprocess.run(_as_postgres([str(binaries / "initdb"), "-D", str(data), "-U", "chat", "-A", "trust"]), **run)  # noqa: S603
    options = f"-c listen_addresses='' -k {socket_dir} -c fsync=off -c full_page_writes=off"
    subprocess.run(  # noqa: S603
        _as_postgres(
            [str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(root / "log"), "start"]
        ),
        **run,
    )
    try:
        yield f"postgresql://chat@/postgres?host={socket_dir}"
    finally:
        subprocess.run(_as_postgres([str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]), **run)  # noqa: S603
        shutil.rmtree(root, ignore_errors=True)


class Databases:
    """Fresh, empty databases in one cluster, each with its own asyncpg URL."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url

    async def new(self, migrated: bool = True) -> str:
        name = f"chat_{uuid.uuid4().hex[:12]}"
        connection = await asyncpg.connect(self.admin_url)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        url = self.admin_url.replace("/postgres?", f"/{name}?").replace("postgresql://", "postgresql+asyncpg://")
        if migrated:  # as compose's migrate step does before any api replica starts
            engine = create_async_engine(url)
            await upgrade_schema(engine)
            await engine.dispose()
        return url
