"""Answers whose owner died: marked interrupted a few seconds after its lease lapsed, by any process."""

import asyncio
import logging
from typing import Final

from chat_api.chat.events import Failed
from chat_api.generations.log import EventLog
from chat_api.generations.store import INTERRUPTED, GenerationStore
from chat_api.storage.outage import is_unreachable

logger = logging.getLogger("chat_api.generations")
SWEEP_EVERY_S: Final = 2.0


async def sweep_forever(store: GenerationStore, log: EventLog) -> None:
    """Each sweep keeps every word the answers' readers saw (the event log has what the last save missed), and
    tells their readers, wherever they are.

    While the database is away no owner can renew its lease, so when it is back every lease may have lapsed:
    the owners still alive (they retry every second) then get a lease and a sweep's interval to renew theirs
    before this sweeps again."""
    away = False
    while True:
        await asyncio.sleep(SWEEP_EVERY_S)
        try:
            if away:
                await store.reachable()
                away = False
                await asyncio.sleep(store.lease.total_seconds() + SWEEP_EVERY_S)
            swept = await store.sweep()
            for answer_id, saved in swept:
                seen = await log.text_of(str(answer_id))
                if seen is not None and len(seen) > len(saved):
                    await store.recover(answer_id, seen)
                await log.interrupted(str(answer_id), Failed.of(INTERRUPTED))
        except Exception as error:
            if not away:
                logger.warning("could not sweep for interrupted answers", exc_info=not is_unreachable(error))
            away = True
            continue
        if swept:
            logger.info("answers interrupted (their owner stopped)", extra={"fields": {"answers": len(swept)}})
