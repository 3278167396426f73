import time
import uuid
from collections.abc import AsyncIterator, Generator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.session import RequestResponder
from mcp.types import ClientResult, ServerNotification, ServerRequest

from mcp_demo.app import create_app
from mcp_demo.settings import Settings
from tests.serving import serve

SECRET = "a-test-secret-of-at-least-32-characters"
AUDIENCE = "demo"
ISSUER = "chat-api"

MessageHandler = Any  # the SDK's message handler: requests, notifications or exceptions from the server


def make_settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {"test_hooks": True, "log_level": "WARNING", "token_secret": None}
    return Settings(**{**base, **overrides})


@pytest.fixture(scope="session")
def open_url() -> Iterator[str]:
    """A server without auth (one shared store), test hooks on."""
    with serve(create_app(make_settings())) as url:
        yield url


@pytest.fixture(scope="session")
def auth_url() -> Iterator[str]:
    """A server that needs the api's per-user tokens, test hooks on."""
    with serve(create_app(make_settings(token_secret=SECRET))) as url:
        yield url


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> None:
    """Each test starts from an empty store and log, whichever servers it uses."""
    for name in ("open_url", "auth_url"):
        if name in request.fixturenames:
            httpx.post(f"{request.getfixturevalue(name)}/_demo/reset").raise_for_status()


def token(
    sub: str = "user-1",
    name: str | None = "Ada",
    *,
    secret: str = SECRET,
    audience: str = AUDIENCE,
    issuer: str = ISSUER,
    lifetime_s: float = 60,
    drop: tuple[str, ...] = (),
) -> str:
    now = time.time()
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": sub,
        "name": name,
        "iat": int(now),
        "exp": int(now + lifetime_s),
        "jti": uuid.uuid4().hex,
    }
    if name is None:
        del claims["name"]
    return jwt.encode({k: v for k, v in claims.items() if k not in drop}, secret, algorithm="HS256")


class PerRequestToken(httpx.Auth):
    """A fresh token on every request, as the api signs one per call; the name can change between calls."""

    def __init__(self, sub: str, name: str | None) -> None:
        self.sub = sub
        self.name = name

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = f"Bearer {token(self.sub, self.name)}"
        yield request


@asynccontextmanager
async def connect(
    base_url: str, auth: httpx.Auth | None = None, message_handler: MessageHandler | None = None
) -> AsyncIterator[ClientSession]:
    """An initialized MCP client session (the SDK's own client) on the server's /mcp."""
    async with (
        httpx.AsyncClient(auth=auth, timeout=httpx.Timeout(10, read=60)) as http,
        streamable_http_client(f"{base_url}/mcp", http_client=http) as (read, write, _),
        ClientSession(read, write, message_handler=message_handler) as session,
    ):
        await session.initialize()
        yield session


def notifications_into(received: list[ServerNotification]) -> MessageHandler:
    async def handle(
        message: RequestResponder[ServerRequest, ClientResult] | ServerNotification | Exception,
    ) -> None:
        if isinstance(message, ServerNotification):
            received.append(message)

    return handle
