"""The few statements that differ between Postgres and SQLite."""

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from chat_api.storage.models import Base


def insert_for(session: AsyncSession, model: type[Base]) -> Any:
    """`INSERT` in the session's dialect, so `.on_conflict_do_nothing()` / `.on_conflict_do_update()` exist."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement: Insert = module.insert(model)
    return statement
