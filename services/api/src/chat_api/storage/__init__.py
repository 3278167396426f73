"""Storage: the SQLAlchemy models, the engine and its sessions, and the Alembic migrations that shape the schema."""
