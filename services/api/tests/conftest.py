"""The api under test talks to the real emulator over loopback: SDK, Semantic Kernel and HTTP all run for real."""

import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulator.app import Emulator
from emulator.app import create_app as create_emulator
from emulator.request_log import RequestRecord
from emulator.settings import Settings as EmulatorSettings
from emulator.testing import request_ended, serve
from httpx_sse import EventSource

from chat_api.main import create_app
from chat_api.settings import Settings

from .postgres import Databases, private_cluster
from .redis_server import private_redis

API_KEY = "test-key-8c1d"  # distinctive, so tests can prove it never leaks
ACCOUNT_PASSWORD = "correct horse battery staple"  # the password of the accounts `signed_up` makes
# How soon "at once" must be: an end that waited for the upstream instead (its next token, its first one,
# a slow tool) takes a second or more in every test that uses it, and a loaded 2-core CI machine has taken
# 0.16 s to answer a Stop.
PROMPTLY_S = 0.5


@pytest.fixture(scope="session")
def emulator_app() -> Any:
    settings = EmulatorSettings(api_key=API_KEY, ttft_ms=0, token_ms=0, log_level="WARNING")
    return create_emulator(settings)


@pytest.fixture(scope="session")
def emulator_url(emulator_app: Any) -> Iterator[str]:
    with serve(emulator_app) as url:
        yield url


@pytest.fixture
def emulator(emulator_app: Any) -> Emulator:
    state: Emulator = emulator_app.state.emulator
    return state


def api_settings(emulator_url: str, **overrides: Any) -> Settings:
    """Settings for an api on the emulator; each gets a database of its own (an SQLite file) unless given one."""
    base: dict[str, Any] = {
        "SQLITE_PATH": str(Path(tempfile.mkdtemp(prefix="chat-api-")) / "chat.db"),
        "AZURE_OPENAI_ENDPOINT": emulator_url,
        "AZURE_OPENAI_DEPLOYMENT": "chat",
        "AZURE_OPENAI_API_KEY": API_KEY,
        "UPSTREAM_TIMEOUT_S": 2.0,
        "UPSTREAM_MAX_RETRIES": 2,
        "UPSTREAM_RETRY_MAX_WAIT_S": 1.0,
        "UPSTREAM_RETRY_BASE_S": 0.01,
        "MAX_MESSAGE_CHARS": 2000,
        "MAX_BODY_BYTES": 20_000,
        "LOG_LEVEL": "INFO",
        # Every test's guests come from one address and share one Redis: the caps across guests out of the way
        # (test_guest_and_import_limits sets its own).
        "GUESTS_PER_ADDRESS_PER_DAY": 1_000_000,
        "GUEST_TOKENS_PER_DAY_TOTAL": 1_000_000_000_000,
        # A title call after each new conversation's first answer would add a request to the emulator's log and
        # tokens to the user's day in every test that counts them: test_titles turns it on.
        "TITLES_BY_MODEL": False,
    }
    return Settings(**{**base, **overrides})


ApiFactory = Callable[..., AbstractContextManager[str]]


@pytest.fixture(scope="session")
def api_server(emulator_url: str) -> ApiFactory:
    """`with api_server(**setting_overrides) as url:` serves a fresh api on loopback."""

    @contextmanager
    def start(**overrides: Any) -> Iterator[str]:
        with serve(create_app(api_settings(emulator_url, **overrides))) as url:
            yield url

    return start


@pytest.fixture(scope="session")
def api_url(api_server: ApiFactory) -> Iterator[str]:
    with api_server() as url:
        yield url


@asynccontextmanager
async def signed_in(url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the api at `url` with a guest's access token (every model-spending route needs a user)."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        session = await http.post("/api/auth/guest")
        assert session.status_code == 201, session.text
        http.headers["Authorization"] = f"Bearer {session.json()['access_token']}"
        yield http


@pytest.fixture
async def ada(url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A guest of the module's api (its `url` fixture)."""
    async with signed_in(url) as http:
        yield http


@pytest.fixture
async def bo(url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Another guest of the module's api: what `ada` owns, `bo` must not see."""
    async with signed_in(url) as http:
        yield http


@asynccontextmanager
async def signed_up(url: str, email: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the api at `url` signed in to a new account with a password (a guest may not do everything)."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        email = email or f"{uuid.uuid4().hex[:12]}@example.com"
        session = await http.post("/api/auth/register", json={"email": email, "password": ACCOUNT_PASSWORD})
        assert session.status_code == 201, session.text
        http.headers["Authorization"] = f"Bearer {session.json()['access_token']}"
        yield http


@pytest.fixture
async def client(api_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_in(api_url) as http:
        yield http


def chat(directive: str = "", message: str = "Hello there", **body: Any) -> tuple[dict[str, Any], str]:
    """A request body whose last message carries an emulator directive and a unique tag; and that tag."""
    tag = uuid.uuid4().hex
    return {"message": f"{message}\n@emulator {directive} tag={tag}", **body}, tag


async def upstream_ended(emulator: Emulator, tag: str) -> RequestRecord:
    return await request_ended(emulator.log, tag)


async def upstream_closed_after_leaving(http: httpx.AsyncClient, emulator: Emulator) -> float:
    """Start a long answer on /api/chat/events, leave at its first token: seconds until the emulator saw the
    api close the upstream request."""
    body, tag = chat("ttft_ms=0 token_ms=20 tokens=300")
    async with http.stream("POST", "/api/chat/events", json=body) as response:
        async for line in response.aiter_lines():
            if line.startswith("event: delta"):
                break
    left_at = time.time()
    record = await upstream_ended(emulator, tag)
    assert record.outcome == "disconnected" and record.disconnected_at is not None
    return record.disconnected_at - left_at


def sse_events(body: httpx.Response | str) -> list[tuple[str, Any]]:
    """(event, data) pairs of an SSE body, parsed by httpx-sse (comments, such as heartbeats, are skipped)."""
    if isinstance(body, str):
        body = httpx.Response(200, headers={"content-type": "text/event-stream"}, text=body)
    return [(event.event, event.json()) for event in EventSource(body).iter_sse()]


@pytest.fixture(scope="session")
def postgres() -> Iterator[Databases]:
    with private_cluster() as admin_url:
        yield Databases(admin_url)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with private_redis() as url:
        yield url


async def fresh_store(request: pytest.FixtureRequest, kind: str) -> dict[str, str]:
    if kind == "sqlite":
        return {"SQLITE_PATH": str(Path(tempfile.mkdtemp(prefix="chat-api-")) / "chat.db")}
    databases: Databases = request.getfixturevalue("postgres")
    return {"DATABASE_URL": await databases.new(), "REDIS_URL": request.getfixturevalue("redis_url")}


@pytest.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest) -> dict[str, str]:
    """Settings for a fresh store of each kind: the storage, auth and conversation tests run on both. With
    SQLite, answers live in the process (development); with Postgres, in Redis, as in compose."""
    return await fresh_store(request, request.param)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
async def shared_store(request: pytest.FixtureRequest) -> dict[str, str]:
    """As `database`, shared by a module's tests (each signs in a user of its own, and users see only their
    own): a store and an api per module, not per test, keep the suite fast."""
    return await fresh_store(request, request.param)
