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


class PrivateCluster:
    """A throwaway cluster from the machine's binaries, on a Unix socket in its own folder; stopped and started
    again at will (the same data and address), as a Postgres restarting."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.root = Path(tempfile.mkdtemp(prefix="chat-pg-"))
        self.data, self.socket_dir = self.root / "data", self.root / "socket"
        self.socket_dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        self._run([str(binaries / "initdb"), "-D", str(self.data), "-U", "chat", "-A", "trust"])
        self.url = f"postgresql://chat@/postgres?host={self.socket_dir}"

    def _run(self, command: list[str]) -> None:
        subprocess.run(_as_postgres(command), check=True, capture_output=True, timeout=60)  # noqa: S603

    def start(self) -> None:
        options = f"-c listen_addresses='' -k {self.socket_dir} -c fsync=off -c full_page_writes=off"
        pg_ctl = str(self.binaries / "pg_ctl")
        self._run([pg_ctl, "-D", str(self.data), "-o", options, "-w", "-l", str(self.root / "log"), "start"])

    def stop(self) -> None:
        """A fast shutdown, as `docker compose stop` sends: open connections are closed by the server."""
        self._run([str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _binaries_or_skip() -> Path:
    binaries = _binaries()
    if binaries is None:
        if os.environ.get("REQUIRE_POSTGRES"):
            raise RuntimeError("REQUIRE_POSTGRES is set but no Postgres binaries were found (apt install postgresql)")
        pytest.skip("no Postgres here (apt install postgresql, or set TEST_DATABASE_URL)")
    return binaries


@contextlib.contextmanager
def restartable_cluster() -> Iterator[PrivateCluster]:
    cluster = PrivateCluster(_binaries_or_skip())
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@contextlib.contextmanager
def private_cluster() -> Iterator[str]:
    """Yields the URL of the new cluster's `postgres` database; the cluster is gone afterwards."""
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        yield given
        return
    with restartable_cluster() as cluster:
        yield cluster.url


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


async def has_pgvector(admin_url: str) -> bool:
    connection = await asyncpg.connect(admin_url)
    try:
        return bool(await connection.fetchval("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'"))
    finally:
        await connection.close()


async def pgvector_or_skip(databases: Databases) -> None:
    """Documents need pgvector on Postgres: skip where the test server lacks it (Debian 12's Postgres has no
    package of it), unless REQUIRE_PGVECTOR is set."""
    if await has_pgvector(databases.admin_url):
        return
    if os.environ.get("REQUIRE_PGVECTOR"):
        raise RuntimeError(
            "REQUIRE_PGVECTOR is set but this Postgres has no pgvector (apt install postgresql-NN-pgvector)"
        )
    pytest.skip("this Postgres has no pgvector extension (apt install postgresql-NN-pgvector): documents are off on it")
