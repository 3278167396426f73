"""Alembic's environment, async (as `alembic init -t async` makes it), reading the database from our settings.

`alembic upgrade head` runs it from the command line (compose's migrate step); `chat_api.storage.schema` runs
it inside the app on a connection it already holds (SQLite, for development).
"""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from chat_api.settings import DatabaseSettings, load
from chat_api.storage.engine import create_engine
from chat_api.storage.models import Base
from chat_api.storage.search_index import include_name

target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection, target_metadata=target_metadata, render_as_batch=True, include_name=include_name
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_with_a_new_engine() -> None:
    engine = create_engine(load(DatabaseSettings))
    async with engine.connect() as connection:
        await connection.run_sync(run_migrations)
        await connection.commit()
    await engine.dispose()


given: Connection | None = context.config.attributes.get("connection")
if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run them against a database")
elif given is not None:
    run_migrations(given)
else:
    asyncio.run(run_with_a_new_engine())
