"""The schema's version: brought to the latest migration (SQLite, development) or checked (Postgres, where the
migrate step runs `alembic upgrade head` before any replica starts)."""

import fcntl
from importlib.resources import files
from typing import IO

import anyio
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from chat_api.storage.engine import is_sqlite


class SchemaOutOfDate(RuntimeError):
    pass


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("chat_api.storage") / "migrations"))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade_schema(engine: AsyncEngine) -> None:
    """Run the migrations up to the latest (what `alembic upgrade head` does)."""
    async with engine.connect() as connection:
        await connection.run_sync(_upgrade)
        await connection.commit()


async def prepare_schema(engine: AsyncEngine) -> None:
    """SQLite: upgrade to the latest migration (one worker at a time: they start together). Postgres: refuse to
    start on a schema that is not the latest."""
    if is_sqlite(engine):
        database = engine.url.database or ""
        lock = await anyio.to_thread.run_sync(_locked, f"{database}.migrating") if database != ":memory:" else None
        try:
            await upgrade_schema(engine)
        finally:
            if lock is not None:
                lock.close()  # (closing releases the lock)
        return
    async with engine.connect() as connection:
        current = await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
    head = head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"the database schema is at {current or 'nothing'}, this version needs {head}: "
            "run `alembic upgrade head` (compose runs it as its migrate step)"
        )


def _locked(path: str) -> IO[str]:
    """The file `path`, locked for this process alone (waiting for whoever holds it)."""
    handle = open(path, "w")  # noqa: SIM115 - held until the caller is done
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    return handle


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
