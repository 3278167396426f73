"""Access tokens that stop working on the next request, on every replica: after sign-out (the session), after
sign-out-everywhere or a password change (the user's token epoch moves on), and for a user deleted or disabled.

The database is the source of truth: a session is live while its refresh-token family has a token not revoked;
a user's token epoch and disabled mark are on its row. Each process keeps what it read in a small cache, so the
check on every request is a dictionary look-up (bench/revocation.py measures it). A change commits first, then
is told to every process through Redis pub/sub, and each updates its cache as the message arrives (before the
client that asked for the change has its answer, so before its next request reaches another replica).

While this process is not subscribed (Redis out of reach or restarting, or starting up) it cannot know what the
others changed: it reads the database on every request instead (one indexed read), and empties its cache when it
subscribes again. A revocation is never missed for want of Redis; it costs a read per request meanwhile. Without
Redis at all (development) a single process's cache is always current; several workers read the database.
An entry is read again after `FRESH_FOR_S` in any case: a message lost to a publisher that could not reach Redis
while the others could is made good within that time.
"""

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Final

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select

from chat_api.auth.tokens import Identity, unauthorized
from chat_api.storage.engine import Sessions
from chat_api.storage.models import RefreshToken, User

logger = logging.getLogger("chat_api.auth")

CHANNEL: Final = "chat:auth:revoked"
FRESH_FOR_S: Final = 30.0
MAX_ENTRIES: Final = 100_000  # past this the cache starts again (each entry is a few hundred bytes)
PING_EVERY_S: Final = 5.0


@dataclass(frozen=True, slots=True)
class UserState:
    epoch: int
    disabled: bool
    read_at: float


class Revocations:
    def __init__(self, sessions: Sessions, redis: Redis | None, single_process: bool) -> None:
        self.sessions = sessions
        self.redis = redis
        self._alone = redis is None and single_process  # every change is made here: the cache is always current
        self._subscribed = False
        self._users: dict[uuid.UUID, UserState | None] = {}  # None: no such user (deleted)
        self._sessions: dict[uuid.UUID, tuple[bool, float]] = {}  # live?, read at
        self._changes = 0  # counts changes heard, so a read that began before one is not cached after it
        self._listener: asyncio.Task[None] | None = None

    @property
    def current(self) -> bool:
        """Whether the cache can be trusted: nothing changed elsewhere that this process was not told."""
        return self._alone or self._subscribed

    async def start(self) -> None:
        if self.redis is not None:
            self._listener = asyncio.create_task(self._listen(self.redis), name="revocation-listener")

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener

    # --- the check, on every request ----------------------------------------------------------------------

    async def check(self, identity: Identity) -> None:
        """Refuses (401) a token whose session ended, whose epoch has passed, or whose user is gone or
        disabled."""
        now = time.monotonic()
        if self.current and identity.user_id in self._users and identity.session_id in self._sessions:
            user, live = self._users[identity.user_id], self._sessions[identity.session_id]
            if _stale(user, live, now):
                user, live = await self._read(identity, now)
        else:
            user, live = await self._read(identity, now)
        if user is None:
            raise unauthorized()
        if user.disabled:
            raise unauthorized("This account is disabled.")
        if identity.epoch < user.epoch or not live[0]:
            raise unauthorized()

    async def _read(self, identity: Identity, now: float) -> tuple[UserState | None, tuple[bool, float]]:
        changes = self._changes
        live_token = (
            select(RefreshToken.id)
            .where(
                RefreshToken.family_id == identity.session_id,
                RefreshToken.user_id == identity.user_id,
                RefreshToken.revoked_at.is_(None),
            )
            .exists()
        )
        async with self.sessions.autocommit() as session:
            row = (
                await session.execute(
                    select(User.token_epoch, User.disabled_at, live_token).where(User.id == identity.user_id)
                )
            ).one_or_none()
        user = None if row is None else UserState(row[0], row[1] is not None, now)
        live = (row is not None and bool(row[2]), now)
        if changes == self._changes:  # else a change came in while reading: the next request reads again
            if len(self._sessions) >= MAX_ENTRIES or len(self._users) >= MAX_ENTRIES:
                self._forget_all()
            self._users[identity.user_id] = user
            self._sessions[identity.session_id] = live
        return user, live

    # --- changes, made here and heard from elsewhere ------------------------------------------------------

    async def session_ended(self, session_id: uuid.UUID) -> None:
        """After the session's refresh tokens were revoked (committed)."""
        await self._tell(f"s:{session_id}")

    async def user_changed(self, user_id: uuid.UUID) -> None:
        """After the user's epoch moved on, or it was disabled or deleted (committed)."""
        await self._tell(f"u:{user_id}")

    async def _tell(self, change: str) -> None:
        self._apply(change)
        if self.redis is None:
            return
        try:
            await self.redis.publish(CHANNEL, change)
        except RedisError:
            # The others read the database while they are cut off too; if only this process is, they read it
            # again within FRESH_FOR_S.
            logger.warning("could not tell the other processes of a revocation", exc_info=True)

    def _apply(self, change: str) -> None:
        kind, _, ident = change.partition(":")
        try:
            key = uuid.UUID(ident)
        except ValueError:
            return
        self._changes += 1
        if kind == "s":
            self._sessions[key] = (False, time.monotonic())  # an ended session never starts again
        elif kind == "u":
            self._users.pop(key, None)

    def _forget_all(self) -> None:
        self._changes += 1
        self._users.clear()
        self._sessions.clear()

    async def _listen(self, redis: Redis) -> None:
        while True:
            try:
                async with redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    while True:
                        message = await pubsub.get_message(timeout=PING_EVERY_S)
                        if message is None:
                            await pubsub.ping()  # a connection a restarted Redis dropped silently fails here
                        elif message["type"] == "subscribe":
                            # Heard from now on; what changed before is read from the database again.
                            self._forget_all()
                            self._subscribed = True
                        elif message["type"] == "message":
                            self._apply(message["data"].decode())
            except Exception:  # whatever it was, a process that stops listening would miss revocations
                if self._subscribed:
                    logger.warning(
                        "lost the revocation channel in Redis; reading the database meanwhile", exc_info=True
                    )
                self._subscribed = False
                await asyncio.sleep(1)


def _stale(user: UserState | None, live: tuple[bool, float], now: float) -> bool:
    read_at = live[1] if user is None else min(user.read_at, live[1])
    return now - read_at > FRESH_FOR_S
