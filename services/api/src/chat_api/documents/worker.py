"""The ingestion worker of one api process: `concurrency` loops, each claiming the next job (from any replica's
uploads, or a dead worker's), started and stopped with the app. An upload here wakes them at once; jobs from
elsewhere are found by the first loop's poll (one query a second per process while idle), which wakes the
others when it finds one."""

import asyncio
import contextlib
import logging
from typing import Final

from sqlalchemy import exc

from chat_api.documents.ingestion import Ingestion
from chat_api.documents.jobs import Jobs

logger = logging.getLogger("chat_api.documents")

POLL_S: Final = 1.0


class IngestionWorker:
    def __init__(self, jobs: Jobs, ingestion: Ingestion, concurrency: int, poll_s: float = POLL_S) -> None:
        self.jobs = jobs
        self.ingestion = ingestion
        self.concurrency = concurrency
        self.poll_s = poll_s
        self._wake = asyncio.Event()
        self._loops: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._loops = [
            asyncio.create_task(self._loop(polls=number == 0), name=f"ingest-{number}")
            for number in range(self.concurrency)
        ]

    def wake(self) -> None:
        self._wake.set()

    async def aclose(self) -> None:
        """Stop: a file being read is given back (its job released) for the next worker to go on with."""
        for loop in self._loops:
            loop.cancel()
        for loop in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        self._loops = []

    async def _loop(self, polls: bool) -> None:
        while True:
            try:
                claim = await self.jobs.claim()
            except exc.SQLAlchemyError:
                logger.warning("could not claim an ingestion job", exc_info=True)
                claim = None
            if claim is None:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_s if polls else None):
                        await self._wake.wait()
                self._wake.clear()
                continue
            self._wake.set()  # there may be more: the idle loops look too
            try:
                await self.ingestion.run(claim)
            except asyncio.CancelledError:
                raise
            except Exception:  # (run keeps its own failures; this is a bug, and the loop must go on)
                logger.exception("an ingestion job failed unexpectedly")
