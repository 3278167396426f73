"""One engine per worker process, created and disposed by the lifespan; a session per unit of work."""

from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from chat_api.settings import DatabaseSettings

CONNECT_TIMEOUT_S = 10.0


class Sessions(async_sessionmaker[AsyncSession]):
    """Sessions on one engine: `sessions()` and `sessions.begin()` in a transaction, as usual, and
    `sessions.autocommit()`, whose statements each commit on their own: no BEGIN and COMMIT round trips, for
    reads and single statements on the hot path (a send's checks, an answer's saves)."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine, expire_on_commit=False)
        self._autocommit = async_sessionmaker(
            engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
        )

    def autocommit(self) -> AsyncSession:
        return self._autocommit()


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    url = settings.database_url
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # A server that does not answer at all (a partition, a name that no longer resolves quickly) costs a
    # request or a save this long, not asyncpg's default minute, before it is told the database is away.
    engine = create_async_engine(
        url, pool_size=settings.DATABASE_POOL_SIZE, max_overflow=5, connect_args={"timeout": CONNECT_TIMEOUT_S}
    )
    event.listen(engine.sync_engine.pool, "checkout", _discard_if_closed)
    event.listen(engine.sync_engine, "do_connect", _connect_or_unreachable)
    return engine


def _connect_or_unreachable(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    """A new connection; a server that cannot take one (refused, no such host or socket, starting up or
    shutting down, too slow) as SQLAlchemy's `OperationalError`, as a connection lost mid-statement already is.
    The driver raises the socket's own error (an `OSError`), which would otherwise pass for a bug."""
    try:
        return dialect.connect(*cargs, **cparams)
    except exc.DBAPIError:
        raise
    except (OSError, dialect.loaded_dbapi.Error) as error:  # TimeoutError is an OSError
        raise exc.OperationalError("connecting to the database", None, error) from error


def _discard_if_closed(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """A pooled connection the server has closed (Postgres restarted) is replaced before use: the pool tries
    another when this raises. asyncpg knows without a round trip; SQLAlchemy's own pre-ping costs three for
    each checkout (a transaction around `;`), on every request and every save of an answer."""
    if record.driver_connection.is_closed():
        raise exc.DisconnectionError("the server closed this connection")


def create_sessions(engine: AsyncEngine) -> Sessions:
    return Sessions(engine)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """SQLite enforces foreign keys only when asked; WAL lets readers go on while an answer is saved."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"
