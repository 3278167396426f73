"""Access tokens (short-lived JWTs, HS256 only) and refresh tokens (opaque, stored as a hash)."""

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Final

import jwt

from chat_api.http.errors import ApiError

ALGORITHM: Final = "HS256"  # the only one accepted: no `none`, no RS/HS confusion
ISSUER: Final = "chat-api"
AUDIENCE: Final = "chat-api"


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is asking, as the access token says."""

    user_id: uuid.UUID
    guest: bool
    session_id: uuid.UUID  # the session (refresh token family) it was issued for: signing out ends it
    epoch: int  # the user's token epoch when issued: sign-out-everywhere and a password change move it on
    tier: str | None = None  # an account's tier (limits/tiers.py) when issued; None: the default tier


def unauthorized(message: str = "Sign in again: the session has ended.") -> ApiError:
    return ApiError(401, "unauthorized", message, {"WWW-Authenticate": "Bearer"})


class TokenSigner:
    def __init__(self, secret: str, ttl_s: int) -> None:
        self._secret = secret
        self.ttl_s = ttl_s

    def issue(self, identity: Identity) -> str:
        now = int(time.time())
        claims = {
            "sub": str(identity.user_id),
            "guest": identity.guest,
            "sid": str(identity.session_id),
            "gen": identity.epoch,
            "tier": identity.tier,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + self.ttl_s,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> Identity:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["sub", "sid", "gen", "exp", "iat", "iss", "aud"]},
            )
            epoch, tier = claims["gen"], claims.get("tier")
            if type(epoch) is not int:
                raise ValueError("gen: not an integer")
            if tier is not None and not isinstance(tier, str):
                raise ValueError("tier: not a string")
            return Identity(
                uuid.UUID(str(claims["sub"])),
                bool(claims.get("guest", False)),
                uuid.UUID(str(claims["sid"])),
                epoch,
                tier,
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("The access token has expired: refresh it.") from None
        except (jwt.InvalidTokenError, ValueError, TypeError):
            raise unauthorized("The access token is not valid.") from None


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
