"""Sign-ins under way, in the database (any replica may get the callback): each is found by the hash of its
state, bound to the browser that started it (the hash of a random cookie), and taken once."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete

from chat_api.auth.oidc.errors import SignInRefused
from chat_api.storage.engine import Sessions
from chat_api.storage.models import OidcSignIn, utcnow


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Pending:
    nonce: str
    code_verifier: str
    redirect_uri: str
    return_to: str
    guest_id: uuid.UUID | None
    expires_at: datetime


class SignInFlows:
    def __init__(self, sessions: Sessions, lifetime: timedelta) -> None:
        self.sessions = sessions
        self.lifetime = lifetime

    async def begin(self, state: str, browser: str, pending: Pending) -> None:
        async with self.sessions.begin() as session:
            # Those never finished go as new ones begin (an index on expires_at makes this cheap).
            await session.execute(delete(OidcSignIn).where(OidcSignIn.expires_at < utcnow()))
            session.add(
                OidcSignIn(
                    state_hash=digest(state),
                    browser_hash=digest(browser),
                    nonce=pending.nonce,
                    code_verifier=pending.code_verifier,
                    redirect_uri=pending.redirect_uri,
                    return_to=pending.return_to,
                    guest_id=pending.guest_id,
                    expires_at=pending.expires_at,
                )
            )

    async def take(self, state: str | None, browser: str | None) -> Pending:
        """The sign-in this state names, started in this browser, deleted so it cannot be taken again."""
        if not state:
            raise SignInRefused("state_mismatch", "the callback has no state")
        async with self.sessions.begin() as session:
            row = (
                await session.execute(
                    delete(OidcSignIn).where(OidcSignIn.state_hash == digest(state)).returning(OidcSignIn)
                )
            ).scalar_one_or_none()
        if row is None:
            raise SignInRefused("state_mismatch", "no sign-in under way has this state (forged, or used already)")
        if browser is None or digest(browser) != row.browser_hash:
            raise SignInRefused("state_mismatch", "the sign-in was started in another browser")
        if row.expires_at <= utcnow():
            raise SignInRefused("expired", "the sign-in took longer than OIDC_SIGN_IN_TIMEOUT_S")
        return Pending(row.nonce, row.code_verifier, row.redirect_uri, row.return_to, row.guest_id, row.expires_at)

    def expiry(self) -> datetime:
        return utcnow() + self.lifetime
