"""The event log across processes and replicas: each generation's events in a Redis Stream (Stop travels
apart, see `redis_stop`).

The owner keeps its own generations' events in memory too (`LocalEventLog`) and serves its own readers from
there, at once; it numbers events itself (`0-1`, `0-2`, ... as Redis entry ids), so an id means the same
event here and in Redis, and a reader can resume on any process. Redis is written behind, in order, a batch
per round trip. Readers elsewhere replay from the Stream and then follow it: one blocking read per process
serves all of them.

Redis holds nothing the database does not also get (it runs without persistence). If it restarts, or is
out of reach for a while, the owner finds its Stream gone or short and writes the whole answer again from
memory, so readers who wait see exactly what they missed; readers cut off for longer than a few seconds
read the answer from the database instead (`EventLogUnavailable`).
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Final, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from chat_api.chat.events import TERMINAL, AnswerEvent
from chat_api.chat.wire import EncodedEvent, decode
from chat_api.generations.local_log import LocalEventLog, text_of
from chat_api.generations.log import EventLogUnavailable, order
from chat_api.telemetry.traces import untraced

logger = logging.getLogger("chat_api.generations")

STREAM_MAX: Final = 20_000  # events kept per answer (a 4,096-token answer needs about 4,100)
WHILE_RUNNING_S: Final = 3600  # a key outlives a dead owner this long at most
FOLLOW_BLOCK_MS: Final = 100  # how long the shared read waits before taking in readers who joined since
GIVE_UP_AFTER_S: Final = 3.0  # Redis out of reach this long: readers here go to the database
RETRY_MAX_S: Final = 2.0

# A batch is appended only if the Stream still ends with the last event the writer put there; else (Redis
# restarted, or lost the key) it returns 0 and the writer sends every event again with expected = '*'.
# One round trip, atomic: a reader never sees a gap. ARGV: expected last id, ttl, maxlen, then id/name/data.
APPEND_SCRIPT: Final = """
local key = KEYS[1]
if ARGV[1] == '*' then
  redis.call('DEL', key)
else
  local last = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)[1]
  if (last and last[1] or '') ~= ARGV[1] then return 0 end
end
for i = 4, #ARGV, 3 do
  redis.call('XADD', key, 'MAXLEN', '~', ARGV[3], ARGV[i], 'n', ARGV[i + 1], 'd', ARGV[i + 2])
end
redis.call('EXPIRE', key, ARGV[2])
return 1
"""


def stream_key(generation_id: str) -> str:
    return f"chat:generation:{generation_id}"


Entries = list[tuple[bytes, dict[bytes, bytes]]]  # a Stream's entries as redis-py returns them (bytes)


def entry(entry_id: bytes, fields: dict[bytes, bytes]) -> EncodedEvent:
    """An event as the Stream keeps it: its name and its payload as the owner encoded it."""
    data = fields[b"d"]
    return EncodedEvent(decode(fields[b"n"].decode(), data), data, entry_id.decode())


def fields_of(event: EncodedEvent) -> tuple[str, str, bytes]:
    return event.id, event.name, event.data


def redis_id(event_id: str | None) -> str:
    """A valid Stream id to read after (`0-0`, the start, for anything else)."""
    head, tail = order(event_id)
    return f"{head}-{tail}"


class _Follower:
    """One blocking XREAD for every stream some reader here follows; batches handed to each reader's queue."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        # Each reader's queue (None in it: Redis is out of reach, go elsewhere) and the last id it was given.
        self.readers: dict[str, list[tuple[asyncio.Queue[list[EncodedEvent] | None], list[str]]]] = {}
        self.task: asyncio.Task[None] | None = None

    def join(self, key: str, after: str) -> asyncio.Queue[list[EncodedEvent] | None]:
        queue: asyncio.Queue[list[EncodedEvent] | None] = asyncio.Queue()
        self.readers.setdefault(key, []).append((queue, [after]))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._loop(), name="redis-follower")
        return queue

    def leave(self, key: str, queue: asyncio.Queue[list[EncodedEvent] | None]) -> None:
        remaining = [reader for reader in self.readers.get(key, []) if reader[0] is not queue]
        if remaining:
            self.readers[key] = remaining
        else:
            self.readers.pop(key, None)

    async def _loop(self) -> None:
        with untraced():
            await self._follow()

    async def _follow(self) -> None:
        failing_since: float | None = None
        loop = asyncio.get_running_loop()
        while self.readers:
            streams = {key: min((last[0] for _, last in readers), key=order) for key, readers in self.readers.items()}
            try:
                replies = cast(
                    "list[tuple[bytes, Entries]] | None",
                    await self.redis.xread(streams, count=500, block=FOLLOW_BLOCK_MS),  # type: ignore[arg-type]
                )
            except RedisError:
                if failing_since is None:
                    failing_since = loop.time()
                    logger.warning("following answers in Redis failed; retrying", exc_info=True)
                elif loop.time() - failing_since > GIVE_UP_AFTER_S:
                    self._send_everyone_elsewhere()
                await asyncio.sleep(0.25)
                continue
            failing_since = None
            for raw_key, entries in replies or []:
                key = raw_key.decode()
                events = [entry(entry_id, fields) for entry_id, fields in entries]
                for queue, last in self.readers.get(key, []):
                    fresh = [event for event in events if order(event.id) > order(last[0])]
                    if fresh:
                        last[0] = fresh[-1].id
                        queue.put_nowait(fresh)

    def _send_everyone_elsewhere(self) -> None:
        logger.warning("Redis is out of reach: the answers followed here are read from the database meanwhile")
        for readers in self.readers.values():
            for queue, _ in readers:
                queue.put_nowait(None)
        self.readers.clear()

    async def aclose(self) -> None:
        self.readers.clear()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


class RedisEventLog:
    shared = True

    def __init__(self, redis: Redis, keep_after_end_s: float) -> None:
        self.redis = redis
        self.keep_after_end_s = keep_after_end_s
        self.local = LocalEventLog(keep_after_end_s)
        self._append = redis.register_script(APPEND_SCRIPT)
        self._wakes: dict[str, asyncio.Event] = {}
        self._writer_tasks: set[asyncio.Task[None]] = set()
        self._follower = _Follower(redis)

    # --- the owner's side ---------------------------------------------------------------------------------

    async def append(self, generation_id: str, events: list[AnswerEvent]) -> list[str]:
        ids = await self.local.append(generation_id, events)
        wake = self._wakes.get(generation_id)
        if wake is None:
            wake = self._wakes[generation_id] = asyncio.Event()
            task = asyncio.create_task(self._write_behind(generation_id, wake), name=f"redis-writer-{generation_id}")
            self._writer_tasks.add(task)
            task.add_done_callback(self._writer_tasks.discard)
        wake.set()
        if any(isinstance(event, TERMINAL) for event in events):
            self._wakes.pop(generation_id, None)
        return ids

    async def _write_behind(self, generation_id: str, wake: asyncio.Event) -> None:
        """Whatever is new since the last round trip, in one; the whole answer again when Redis lost it.
        Retried (backing off) while Redis is out of reach, until this process forgets the answer."""
        with untraced():
            await self._write_all(generation_id, wake)

    async def _write_all(self, generation_id: str, wake: asyncio.Event) -> None:
        key = stream_key(generation_id)
        written, last_id, rewrite, failures = 0, "", False, 0
        while (events := self.local.events_of(generation_id)) is not None:
            upto = len(events)
            if written == upto:
                if upto and events[-1].terminal:
                    return
                await wake.wait()
                wake.clear()
                continue
            batch = events[:upto] if rewrite else events[written:upto]
            ttl = int(self.keep_after_end_s) if batch[-1].terminal else WHILE_RUNNING_S
            fields = [part for event in batch for part in fields_of(event)]
            try:
                appended = await self._append(keys=[key], args=["*" if rewrite else last_id, ttl, STREAM_MAX, *fields])
            except RedisError:
                failures += 1
                if failures == 1:
                    logger.warning("could not write an answer's events to Redis; retrying", exc_info=True)
                await asyncio.sleep(min(RETRY_MAX_S, 0.05 * 2**failures))
                continue
            if not appended:
                rewrite = True  # the Stream is not as we left it: Redis restarted, or lost it
                continue
            if failures or rewrite:
                logger.info("an answer's events are in Redis again", extra={"fields": {"events": upto}})
            written, last_id, rewrite, failures = upto, batch[-1].id, False, 0

    # --- the readers' side ----------------------------------------------------------------------------------

    async def known(self, generation_id: str) -> bool:
        if await self.local.known(generation_id):
            return True
        try:
            return bool(await self.redis.exists(stream_key(generation_id)))
        except RedisError:
            return False

    def read(self, generation_id: str, after: str | None) -> AsyncIterator[list[EncodedEvent]]:
        return self._read(generation_id, after)

    async def _read(self, generation_id: str, after: str | None) -> AsyncIterator[list[EncodedEvent]]:
        if await self.local.known(generation_id):
            async for batch in self.local.read(generation_id, after):
                yield batch
            return
        key, last = stream_key(generation_id), redis_id(after)
        while True:  # the replay, a page at a time
            try:
                entries = cast("Entries", await self.redis.xrange(key, min=f"({last}", max="+", count=1000))
            except RedisError as error:
                raise EventLogUnavailable from error
            if not entries:
                break
            batch = [entry(entry_id, fields) for entry_id, fields in entries]
            last = batch[-1].id
            yield batch
            if batch[-1].terminal:
                return
        queue = self._follower.join(key, last)
        try:
            # What was written between the replay and joining comes now, or with the next shared read.
            while True:
                live = await queue.get()
                if live is None:
                    raise EventLogUnavailable
                yield live
                if live[-1].terminal:
                    return
        finally:
            self._follower.leave(key, queue)

    async def text_of(self, generation_id: str) -> str | None:
        local = await self.local.text_of(generation_id)
        if local is not None:
            return local
        try:
            entries = cast("Entries", await self.redis.xrange(stream_key(generation_id)))
        except RedisError:
            return None
        if not entries:
            return None
        return text_of([entry(entry_id, fields) for entry_id, fields in entries])

    async def interrupted(self, generation_id: str, event: AnswerEvent) -> None:
        await self.local.interrupted(generation_id, event)
        encoded = EncodedEvent.of(event)
        key = stream_key(generation_id)
        try:  # (also when the owner died before writing anything: a reader may be waiting for the first event)
            pipe = self.redis.pipeline(transaction=True)
            pipe.xadd(key, {"n": encoded.name, "d": encoded.data}, maxlen=STREAM_MAX, approximate=True)
            pipe.expire(key, int(self.keep_after_end_s))
            await pipe.execute()
        except RedisError:
            logger.warning("could not tell an answer's readers it was interrupted", exc_info=True)

    async def aclose(self) -> None:
        await self._follower.aclose()
        for task in list(self._writer_tasks):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, timeout=2)
        await self.local.aclose()
