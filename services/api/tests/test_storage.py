"""The schema: Alembic's migrations are the only way it changes, and they agree with the models."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import DateTime, String, Uuid, column, insert, inspect, table, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from chat_api.settings import DatabaseSettings
from chat_api.storage.engine import create_engine
from chat_api.storage.models import Base
from chat_api.storage.schema import alembic_config, head_revision
from chat_api.storage.search_index import include_name, outside_the_models

from .postgres import Databases


def differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True, "include_name": include_name}
    )
    return list(compare_metadata(context, Base.metadata))


def run(connection: Connection, action: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, action)(config, revision)


def tables(connection: Connection) -> set[str]:
    """The tables the models describe (the search index's own, SQLite's FTS5 tables, apart)."""
    names = set(inspect(connection).get_table_names()) - {"alembic_version"}
    return {name for name in names if not outside_the_models(name, "table")}


@pytest.mark.parametrize("kind", ["postgres", "sqlite"])
async def test_upgrade_downgrade_upgrade_and_no_drift(kind: str, request: pytest.FixtureRequest, tmp_path: Any) -> None:
    if kind == "postgres":
        databases: Databases = request.getfixturevalue("postgres")
        url = await databases.new(migrated=False)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'schema.db'}"
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(run, "upgrade", "head")
        assert await connection.run_sync(tables) == set(Base.metadata.tables)
        assert await connection.run_sync(differences) == []  # the models and the migrations agree
        await connection.run_sync(run, "downgrade", "base")
        left = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        assert left <= {"alembic_version"}  # the search index's tables too
        await connection.run_sync(run, "upgrade", "head")
        current = await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
        assert current == head_revision()
        await connection.commit()
    await engine.dispose()


@pytest.mark.parametrize("kind", ["postgres", "sqlite"])
async def test_existing_accounts_get_their_email_key(kind: str, request: pytest.FixtureRequest, tmp_path: Any) -> None:
    """0003: every account gets the key of its address; of two that already share one, the older keeps it."""
    if kind == "postgres":
        databases: Databases = request.getfixturevalue("postgres")
        url = await databases.new(migrated=False)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
    engine = create_async_engine(url)
    users = table("users", column("id", Uuid()), column("email", String()), column("created_at", DateTime(True)))
    rows = [
        (1, "jo.doe@gmail.com"),
        (2, "jodoe+news@googlemail.com"),  # a look-alike of the first, from before they were refused
        (3, "ana+x@example.com"),
        (4, None),  # a guest
    ]
    async with engine.connect() as connection:
        await connection.run_sync(run, "upgrade", "0002")
        for number, email in rows:
            created = datetime(2026, 1, number, tzinfo=UTC)
            await connection.execute(insert(users).values(id=uuid.UUID(int=number), email=email, created_at=created))
        await connection.run_sync(run, "upgrade", "head")
        keys = (await connection.execute(text("SELECT email, email_key FROM users ORDER BY created_at"))).all()
        await connection.commit()
    await engine.dispose()
    assert [tuple(row) for row in keys] == [
        ("jo.doe@gmail.com", "jodoe@gmail.com"),
        ("jodoe+news@googlemail.com", None),
        ("ana+x@example.com", "ana@example.com"),
        (None, None),
    ]


async def test_a_connection_the_server_closed_is_replaced_before_use(postgres: Databases) -> None:
    """Postgres restarting (or an administrator) ends the pool's connections: the next request gets a live
    one, with no failed query and no round trip spent checking each checkout."""
    url = await postgres.new(migrated=False)
    engine = create_engine(DatabaseSettings(DATABASE_URL=url, DATABASE_POOL_SIZE=1))
    try:
        async with engine.connect() as connection:
            first = await connection.scalar(text("SELECT pg_backend_pid()"))
        admin = await asyncpg.connect(postgres.admin_url)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
        finally:
            await admin.close()
        await asyncio.sleep(0.2)  # the driver hears the server close the socket
        async with engine.connect() as connection:
            second = await connection.scalar(text("SELECT pg_backend_pid()"))
        assert second != first
    finally:
        await engine.dispose()
