"""Ingestion jobs and their leases. A worker claims the oldest job nobody holds (no lease, or one run out: its
worker died) and renews its lease while it works; on Postgres the claim skips rows another replica is claiming
(`FOR UPDATE SKIP LOCKED`), and on both the claim is an UPDATE that checks the lease again, so two workers
never hold one job."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update

from chat_api.storage.engine import Sessions
from chat_api.storage.models import IngestJob, utcnow


@dataclass(frozen=True)
class Claim:
    file_id: uuid.UUID
    attempt: int  # 1 for the first claim; more: a worker died with it


class Jobs:
    def __init__(self, sessions: Sessions, lease: timedelta) -> None:
        self.sessions = sessions
        self.lease = lease

    async def add(self, file_id: uuid.UUID) -> None:
        async with self.sessions.begin() as session:
            session.add(IngestJob(file_id=file_id))

    async def claim(self) -> Claim | None:
        now = utcnow()
        free = or_(IngestJob.lease_expires_at.is_(None), IngestJob.lease_expires_at < now)
        async with self.sessions.begin() as session:
            oldest = (
                select(IngestJob.file_id, IngestJob.attempts)
                .where(free)
                .order_by(IngestJob.created_at)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            row = (await session.execute(oldest)).first()
            if row is None:
                return None
            taken = await session.execute(
                update(IngestJob)
                .where(IngestJob.file_id == row.file_id, free)
                .values(attempts=IngestJob.attempts + 1, lease_expires_at=now + self.lease)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]  # (another worker of this SQLite file took it)
                return None
        return Claim(row.file_id, row.attempts + 1)

    async def renew(self, file_id: uuid.UUID) -> bool:
        """False: the job is gone (its file was deleted)."""
        async with self.sessions.begin() as session:
            renewed = await session.execute(
                update(IngestJob).where(IngestJob.file_id == file_id).values(lease_expires_at=utcnow() + self.lease)
            )
            return bool(renewed.rowcount)  # type: ignore[attr-defined]

    async def release(self, file_id: uuid.UUID) -> None:
        """Give a job back at once (this worker is stopping): the next worker need not wait for its lease, and
        the claim does not count as a failed attempt."""
        async with self.sessions.begin() as session:
            await session.execute(
                update(IngestJob)
                .where(IngestJob.file_id == file_id)
                .values(lease_expires_at=None, attempts=IngestJob.attempts - 1)
            )
