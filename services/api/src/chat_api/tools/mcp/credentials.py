"""How the api proves itself to a server: a fixed secret header, or the user's own identity as a short-lived
token signed for each HTTP request (so a long session never holds a stale one), naming the user and the server."""

import time
import uuid
from collections.abc import Generator
from typing import Final

import httpx
import jwt

from chat_api.tools.mcp.config import HeaderAuth, McpServer

ISSUER: Final = "chat-api"
TOKEN_TTL_S: Final = 60
API_SUBJECT: Final = "chat-api"  # the listing session of a per-user server: the api itself, no user


class UserToken(httpx.Auth):
    """`Authorization: Bearer <JWT>`, HS256: iss chat-api, aud the server's name, sub the user, a minute."""

    def __init__(self, server: str, secret: str, subject: str, name: str | None = None) -> None:
        self.server = server
        self._secret = secret
        self.subject = subject
        self.name = name

    def token(self) -> str:
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": ISSUER,
            "aud": self.server,
            "sub": self.subject,
            "iat": now,
            "exp": now + TOKEN_TTL_S,
            "jti": uuid.uuid4().hex,
        }
        if self.name:
            claims["name"] = self.name
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        yield request


def credentials_for(server: McpServer, subject: str | None) -> tuple[dict[str, str], httpx.Auth | None]:
    """Headers and auth for a session to `server` on behalf of `subject` (a user id; None: the api itself)."""
    auth = server.config.auth
    if isinstance(auth, HeaderAuth):
        assert server.secret is not None  # checked at start
        return {auth.header: server.secret}, None
    if server.per_user:
        assert server.secret is not None
        return {}, UserToken(server.name, server.secret, subject or API_SUBJECT)
    return {}, None
