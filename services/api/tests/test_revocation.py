"""Access tokens end on the next request: after sign-out, sign-out-everywhere, a password change, a user's
disabling and the account's deletion; in one process and across two (one database, one Redis). And "delete my
account" takes every row of the user with it, at once."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from emulator.app import Emulator
from httpx_sse import aconnect_sse
from redis.asyncio import Redis
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from chat_api.auth.revocation import Revocations
from chat_api.auth.service import AuthService
from chat_api.auth.tokens import TokenSigner
from chat_api.storage.engine import create_engine, create_sessions
from chat_api.storage.models import Conversation, Message, RefreshToken, Summary, User

from .conftest import ApiFactory, api_settings, upstream_ended
from .redis_server import PrivateRedis, restartable_redis

SECRET = "a-test-signing-secret-of-forty-characters"
PASSWORD = "correct horse battery staple"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthorized"


@contextmanager
def two_replicas(api_server: ApiFactory, store: dict[str, str]) -> Iterator[tuple[str, str]]:
    settings = {"AUTH_SECRET": SECRET, "AUTH_COOKIE_SECURE": False, **store}
    with api_server(**settings) as url_a, api_server(**settings) as url_b:
        yield url_a, url_b


@pytest.fixture
async def shared(postgres: Any, redis_url: str) -> dict[str, str]:
    return {"DATABASE_URL": await postgres.new(), "REDIS_URL": redis_url}


async def account(http: httpx.AsyncClient, email: str | None = None) -> tuple[str, str]:
    """A new account (signed in on `http`: its refresh cookie is there); its email and access token."""
    email = email or f"{uuid.uuid4().hex[:12]}@example.com"
    session = await http.post("/api/auth/register", json={"email": email, "password": PASSWORD})
    assert session.status_code == 201, session.text
    return email, session.json()["access_token"]


async def sign_in(http: httpx.AsyncClient, email: str) -> str:
    session = await http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert session.status_code == 200, session.text
    token: str = session.json()["access_token"]
    return token


@asynccontextmanager
async def clients(*urls: str) -> AsyncIterator[list[httpx.AsyncClient]]:
    """A client of each url, each with its own cookies (a device)."""
    opened = [httpx.AsyncClient(base_url=url, timeout=10) for url in urls]
    try:
        yield opened
    finally:
        for http in opened:
            await http.aclose()


# --- one process, on SQLite and Postgres -----------------------------------------------------------------------


async def test_sign_out_ends_the_access_token_at_once(api_server: ApiFactory, database: dict[str, str]) -> None:
    with api_server(AUTH_SECRET=SECRET, AUTH_COOKIE_SECURE=False, **database) as url:
        async with clients(url, url) as (laptop, phone):
            email, token = await account(laptop)
            other = await sign_in(phone, email)
            assert (await laptop.get("/api/me", headers=bearer(token))).status_code == 200
            assert (await laptop.post("/api/auth/logout")).status_code == 204
            assert_unauthorized(await laptop.get("/api/me", headers=bearer(token)))
            assert_unauthorized(await laptop.get("/api/conversations", headers=bearer(token)))
            assert (await phone.get("/api/me", headers=bearer(other))).status_code == 200  # that session goes on


async def test_a_guest_signing_out_ends_its_token(api_server: ApiFactory, database: dict[str, str]) -> None:
    with api_server(AUTH_SECRET=SECRET, AUTH_COOKIE_SECURE=False, **database) as url:
        async with clients(url) as (guest,):
            token = (await guest.post("/api/auth/guest")).json()["access_token"]
            assert (await guest.get("/api/me", headers=bearer(token))).status_code == 200
            assert (await guest.post("/api/auth/logout")).status_code == 204
            assert_unauthorized(await guest.get("/api/me", headers=bearer(token)))


async def test_a_guest_that_registers_goes_on_in_the_same_session(
    api_server: ApiFactory, database: dict[str, str]
) -> None:
    """The guest's session becomes the account's: its access token goes on (not signed out by signing up),
    its old refresh token is spent, and signing out then ends the token."""
    with api_server(AUTH_SECRET=SECRET, AUTH_COOKIE_SECURE=False, **database) as url:
        async with clients(url) as (http,):
            guest = (await http.post("/api/auth/guest")).json()["access_token"]
            guest_cookie = http.cookies["chat_refresh"]
            registered = await http.post(
                "/api/auth/register", json={"email": "gu@example.com", "password": PASSWORD}, headers=bearer(guest)
            )
            assert registered.status_code == 201
            me = await http.get("/api/me", headers=bearer(guest))
            assert me.status_code == 200 and me.json()["email"] == "gu@example.com"
            async with clients(url) as (thief,):
                thief.cookies.set("chat_refresh", guest_cookie, path="/api/auth")
                assert_unauthorized(await thief.post("/api/auth/refresh"))
            assert (await http.post("/api/auth/logout")).status_code == 204
            assert_unauthorized(await http.get("/api/me", headers=bearer(guest)))
            assert_unauthorized(await http.get("/api/me", headers=bearer(registered.json()["access_token"])))


# --- two processes: one database, one Redis -------------------------------------------------------------------


async def test_sign_out_on_one_replica_ends_the_token_on_the_other(
    api_server: ApiFactory, shared: dict[str, str]
) -> None:
    with two_replicas(api_server, shared) as (url_a, url_b):
        async with clients(url_a, url_b) as (on_a, on_b):
            _, token = await account(on_a)
            assert (await on_b.get("/api/me", headers=bearer(token))).status_code == 200  # B has it cached
            assert (await on_a.post("/api/auth/logout")).status_code == 204
            assert_unauthorized(await on_b.get("/api/me", headers=bearer(token)))
            assert_unauthorized(await on_a.get("/api/me", headers=bearer(token)))


async def test_sign_out_everywhere_ends_every_token_on_every_replica(
    api_server: ApiFactory, shared: dict[str, str]
) -> None:
    with two_replicas(api_server, shared) as (url_a, url_b):
        async with clients(url_a, url_b, url_b) as (laptop, phone, tablet):
            email, here = await account(laptop)
            there = await sign_in(phone, email)
            third = await sign_in(tablet, email)
            for http, token in ((laptop, here), (phone, there), (tablet, third), (laptop, there)):
                assert (await http.get("/api/me", headers=bearer(token))).status_code == 200
            assert (await laptop.post("/api/auth/logout-everywhere", headers=bearer(here))).status_code == 204
            for http, token in ((laptop, here), (phone, there), (tablet, third), (laptop, there), (phone, here)):
                assert_unauthorized(await http.get("/api/me", headers=bearer(token)))
            assert (await sign_in(phone, email)) != there  # signing in again works


async def test_a_password_change_ends_every_other_token(api_server: ApiFactory, shared: dict[str, str]) -> None:
    with two_replicas(api_server, shared) as (url_a, url_b):
        async with clients(url_a, url_b) as (laptop, phone):
            email, here = await account(laptop)
            there = await sign_in(phone, email)
            assert (await phone.get("/api/me", headers=bearer(there))).status_code == 200
            changed = await laptop.post(
                "/api/auth/password",
                json={"current_password": PASSWORD, "new_password": "a new password"},
                headers=bearer(here),
            )
            assert changed.status_code == 200, changed.text
            assert_unauthorized(await phone.get("/api/me", headers=bearer(there)))
            assert_unauthorized(await phone.get("/api/me", headers=bearer(here)))  # the old token of this device
            fresh = changed.json()["access_token"]
            assert (await phone.get("/api/me", headers=bearer(fresh))).status_code == 200
            assert (await laptop.get("/api/me", headers=bearer(fresh))).status_code == 200


async def test_with_redis_away_a_sign_out_still_holds_on_every_replica(api_server: ApiFactory, postgres: Any) -> None:
    """Redis stopped: the other replica cannot hear of the sign-out, so it reads the database for every request
    meanwhile (never its cache); Redis back: the channel carries revocations again."""
    with restartable_redis() as redis:
        store = {"DATABASE_URL": await postgres.new(), "REDIS_URL": redis.url}
        with two_replicas(api_server, store) as (url_a, url_b):
            async with clients(url_a, url_b) as (on_a, on_b):
                email, token = await account(on_a)
                assert (await on_b.get("/api/me", headers=bearer(token))).status_code == 200  # cached on B
                await asyncio.to_thread(PrivateRedis.stop, redis)
                await asyncio.sleep(0.5)  # B's subscription notices its connection closed
                assert (await on_a.post("/api/auth/logout")).status_code == 204
                assert_unauthorized(await on_b.get("/api/me", headers=bearer(token)))

                other = await sign_in(on_a, email)
                assert (await on_b.get("/api/me", headers=bearer(other))).status_code == 200  # from the database
                await asyncio.to_thread(PrivateRedis.start, redis)
                await asyncio.sleep(2.5)  # B subscribes again (it retries each second)
                assert (await on_b.get("/api/me", headers=bearer(other))).status_code == 200  # cached again
                assert (await on_a.post("/api/auth/logout")).status_code == 204
                assert_unauthorized(await on_b.get("/api/me", headers=bearer(other)))


@asynccontextmanager
async def another_process(emulator_url: str, store: dict[str, str]) -> AsyncIterator[AuthService]:
    """The auth service as another process (the admin's, later) has it, on the same database and Redis."""
    settings = api_settings(emulator_url, AUTH_SECRET=SECRET, **store)
    engine = create_engine(settings)
    redis = Redis.from_url(store["REDIS_URL"])
    revocations = Revocations(create_sessions(engine), redis, single_process=True)
    try:
        yield AuthService(create_sessions(engine), TokenSigner(SECRET, 600), revocations, settings)
    finally:
        await redis.aclose()
        await engine.dispose()


async def test_a_disabled_user_is_refused_from_the_next_request(
    api_server: ApiFactory, shared: dict[str, str], emulator_url: str
) -> None:
    with two_replicas(api_server, shared) as (url_a, url_b):
        async with clients(url_a, url_b) as (on_a, on_b), another_process(emulator_url, shared) as admin:
            email, token = await account(on_a)
            me = await on_b.get("/api/me", headers=bearer(token))
            assert me.status_code == 200
            await admin.set_disabled(uuid.UUID(me.json()["id"]), True)
            for http in (on_a, on_b):
                refused = await http.get("/api/me", headers=bearer(token))
                assert_unauthorized(refused)
                assert refused.json()["error"]["message"] == "This account is disabled."
            assert_unauthorized(await on_a.post("/api/auth/refresh"))
            wrong = await on_b.post("/api/auth/login", json={"email": email, "password": PASSWORD})
            assert_unauthorized(wrong)
            await admin.set_disabled(uuid.UUID(me.json()["id"]), False)
            assert_unauthorized(await on_b.get("/api/me", headers=bearer(token)))  # its sessions stay ended
            assert (await on_b.get("/api/me", headers=bearer(await sign_in(on_b, email)))).status_code == 200


# --- delete my account ------------------------------------------------------------------------------------------


async def rows_of(engine: AsyncEngine, user_id: str) -> dict[str, int]:
    """How many rows of each table still belong to the user (the store is the test's own: every message and
    summary in it is the user's)."""
    ident = uuid.UUID(user_id)
    queries = {
        "users": select(func.count()).select_from(User).where(User.id == ident),
        "refresh_tokens": select(func.count()).select_from(RefreshToken).where(RefreshToken.user_id == ident),
        "conversations": select(func.count()).select_from(Conversation).where(Conversation.user_id == ident),
        "messages": select(func.count()).select_from(Message),
        "summaries": select(func.count()).select_from(Summary),
    }
    async with engine.connect() as connection:
        return {table: (await connection.execute(query)).scalar_one() for table, query in queries.items()}


async def add_summary(engine: AsyncEngine, message_id: str, conversation_id: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            insert(Summary).values(
                id=uuid.uuid4(),
                conversation_id=uuid.UUID(conversation_id),
                covers_message_id=uuid.UUID(message_id),
                covered_messages=1,
                content="they said hello",
                created_at=datetime.now(UTC),
            )
        )


async def test_deleting_the_account_takes_every_row_and_ends_its_token(
    api_server: ApiFactory, database: dict[str, str], emulator_url: str, emulator: Emulator
) -> None:
    with api_server(AUTH_SECRET=SECRET, AUTH_COOKIE_SECURE=False, **database) as url:
        engine = create_engine(api_settings(emulator_url, **database))
        try:
            async with clients(url, url) as (http, other):
                email, token = await account(http)
                user_id = (await http.get("/api/me", headers=bearer(token))).json()["id"]
                auth = bearer(token)
                conversation = (await http.post("/api/conversations", json={}, headers=auth)).json()["id"]
                said = await http.post(
                    f"/api/conversations/{conversation}/messages",
                    json={"content": "hello\n@emulator tokens=3"},
                    headers=auth,
                )
                assert said.status_code == 200
                first = (await http.get(f"/api/conversations/{conversation}", headers=auth)).json()
                await add_summary(engine, first["messages"]["items"][0]["id"], conversation)
                second = (await http.post("/api/conversations", json={}, headers=auth)).json()["id"]
                tag = uuid.uuid4().hex

                async with aconnect_sse(
                    http,
                    "POST",
                    f"/api/conversations/{second}/messages",
                    json={"content": f"long\n@emulator ttft_ms=0 token_ms=30 tokens=400 tag={tag}"},
                    headers=auth,
                ) as source:
                    async for event in source.aiter_sse():
                        if event.event == "delta":
                            break
                    before = await rows_of(engine, user_id)
                    every = {"users": 1, "refresh_tokens": 1, "conversations": 2, "messages": 4, "summaries": 1}
                    assert before == every
                    for bad, status in (
                        ({}, 422),
                        ({"password": "not the password"}, 403),
                        ({"password": 12345678}, 422),
                        ({"password": PASSWORD, "extra": 1}, 422),
                    ):
                        refused = await http.request("DELETE", "/api/me", json=bad, headers=auth)
                        assert refused.status_code == status, refused.text
                        assert set(refused.json()["error"]) == {"code", "message"}
                    as_text = await http.request("DELETE", "/api/me", content=PASSWORD, headers=auth)
                    assert as_text.status_code == 415
                    assert (await rows_of(engine, user_id)) == before

                    deleted = await http.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=auth)
                    assert deleted.status_code == 204, deleted.text
                    assert "chat_refresh=" in deleted.headers["set-cookie"]
                    assert (
                        'chat_refresh=""' in deleted.headers["set-cookie"]
                        or "Max-Age=0" in deleted.headers["set-cookie"]
                    )
                    record = await asyncio.wait_for(upstream_ended(emulator, tag), 5)
                    assert record.disconnected  # the running answer was stopped

                assert await rows_of(engine, user_id) == {
                    "users": 0,
                    "refresh_tokens": 0,
                    "conversations": 0,
                    "messages": 0,
                    "summaries": 0,
                }
                assert_unauthorized(await http.get("/api/me", headers=auth))
                assert_unauthorized(await http.get("/api/conversations", headers=auth))
                assert_unauthorized(await http.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=auth))
                assert_unauthorized(await http.post("/api/auth/refresh"))
                gone = await other.post("/api/auth/login", json={"email": email, "password": PASSWORD})
                assert_unauthorized(gone)
        finally:
            await engine.dispose()


async def test_a_guest_deletes_itself_with_no_password(api_server: ApiFactory, shared: dict[str, str]) -> None:
    with two_replicas(api_server, shared) as (url_a, url_b):
        async with clients(url_a, url_b) as (on_a, on_b):
            token = (await on_a.post("/api/auth/guest")).json()["access_token"]
            assert (await on_b.get("/api/me", headers=bearer(token))).status_code == 200
            deleted = await on_a.request("DELETE", "/api/me", json={}, headers=bearer(token))
            assert deleted.status_code == 204, deleted.text
            assert_unauthorized(await on_b.get("/api/me", headers=bearer(token)))
            assert_unauthorized(await on_b.get("/api/conversations", headers=bearer(token)))
