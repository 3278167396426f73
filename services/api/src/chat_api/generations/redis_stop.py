"""Stop (and the user's decisions on tools that ask first) across processes and replicas: a message every process
hears on one Redis channel; the answer's owner acknowledges it on a list the sender waits on (a decision's
acknowledgement says whether the call was waiting for it)."""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Final

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from chat_api.generations.stop_signal import Decide, LocalStopSignal

logger = logging.getLogger("chat_api.generations")

STOP_CHANNEL: Final = "chat:generations:stop"
STOP_PING_EVERY_S: Final = 5.0  # the stop channel's connection, checked when it has been silent this long
# How long a Stop sent through Redis waits for the owner to say it has it (a few ms when it runs): with no
# answer by then, the owner is away (its process died, or it cannot reach Redis) and the Stop did nothing.
STOP_ACK_WAIT_S: Final = 1.0
STOP_ACK_KEEP_S: Final = 10  # an acknowledgement nobody waited for is gone after this


TAKEN, NOT_WAITING = b"1", b"0"  # a decision's acknowledgements


def stop_message(generation_id: str, ack_key: str, decision: tuple[str, str] | None = None) -> bytes:
    message = {"id": generation_id, "ack": ack_key}
    if decision is not None:
        message |= {"call_id": decision[0], "decision": decision[1]}
    return orjson.dumps(message)


def parse_stop(data: bytes) -> tuple[str, str | None, tuple[str, str] | None]:
    """The answer a message is for, the list its owner acknowledges it on (none from an older process, which
    sent the bare id), and the decision it carries (none: a Stop)."""
    if data.startswith(b"{"):
        message = orjson.loads(data)
        decision = (str(message["call_id"]), str(message["decision"])) if "decision" in message else None
        return str(message["id"]), str(message["ack"]), decision
    return data.decode(), None, None


class RedisStopSignal:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.local = LocalStopSignal()  # this process's own answers
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen_for_stops(), name="stop-listener")

    def on_stop(self, generation_id: str, stop: Callable[[], None], decide: Decide | None = None) -> None:
        self.local.on_stop(generation_id, stop, decide)

    def forget_stop(self, generation_id: str) -> None:
        self.local.forget_stop(generation_id)

    async def request_stop(self, generation_id: str) -> bool:
        """True once the owner has the Stop: here, or it said so through Redis. PUBLISH's count is not
        enough: every process listens, the owner's included or not (it died; it lost Redis meanwhile)."""
        if await self.local.request_stop(generation_id):
            return True
        ack_key = f"chat:generation:{generation_id}:stop-ack:{uuid.uuid4().hex}"
        try:
            receivers: int = await self.redis.publish(STOP_CHANNEL, stop_message(generation_id, ack_key))
            if receivers == 0:
                return False
            acknowledged = await self.redis.blpop([ack_key], timeout=STOP_ACK_WAIT_S)
        except RedisError:
            logger.warning("could not ask the other processes to stop an answer", exc_info=True)
            return False
        return acknowledged is not None

    async def request_decision(self, generation_id: str, call_id: str, decision: str) -> bool | None:
        here = await self.local.request_decision(generation_id, call_id, decision)
        if here is not None:
            return here
        ack_key = f"chat:generation:{generation_id}:decision-ack:{uuid.uuid4().hex}"
        try:
            message = stop_message(generation_id, ack_key, (call_id, decision))
            if await self.redis.publish(STOP_CHANNEL, message) == 0:
                return None
            acknowledged = await self.redis.blpop([ack_key], timeout=STOP_ACK_WAIT_S)
        except RedisError:
            logger.warning("could not send a decision to the other processes", exc_info=True)
            return None
        return None if acknowledged is None else acknowledged[1] == TAKEN

    async def _acknowledge_stop(self, ack_key: str, answer: bytes = TAKEN) -> None:
        try:
            pipe = self.redis.pipeline(transaction=True)
            pipe.lpush(ack_key, answer)
            pipe.expire(ack_key, STOP_ACK_KEEP_S)
            await pipe.execute()
        except RedisError:  # the answer stops all the same; its sender is told it could not be reached
            logger.warning("stopped an answer but could not say so through Redis", exc_info=True)

    async def _listen_for_stops(self) -> None:
        while True:
            try:
                async with self.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(STOP_CHANNEL)
                    while True:
                        message = await pubsub.get_message(timeout=STOP_PING_EVERY_S)
                        if message is None:
                            # A connection a restarted Redis dropped without a word would otherwise be read
                            # for ever, and every Stop sent through Redis missed: a ping makes it fail.
                            await pubsub.ping()
                        elif message["type"] == "message":
                            await self._heard(message["data"])
            except Exception:  # whatever it was, a process that stops listening would ignore every Stop
                logger.warning("lost the stop channel in Redis; listening again in a second", exc_info=True)
                await asyncio.sleep(1)

    async def _heard(self, data: bytes) -> None:
        generation_id, ack_key, decision = parse_stop(data)
        if decision is None:
            if await self.local.request_stop(generation_id) and ack_key is not None:
                await self._acknowledge_stop(ack_key)
            return
        taken = await self.local.request_decision(generation_id, *decision)
        if taken is not None and ack_key is not None:  # None: not ours, another process answers
            await self._acknowledge_stop(ack_key, TAKEN if taken else NOT_WAITING)

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self.local.aclose()
