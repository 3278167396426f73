"""What one address, or one user, may create: new guests an address may start a day, a day's budget all guests
share (accounts apart), conversations started a minute and imports an hour; and an import of 20,000 messages
written in a few statements, not one per row."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .conftest import ApiFactory, chat, signed_in
from .redis_server import restartable_redis
from .test_limits import streaming

SECRET = "a-test-signing-secret-of-forty-characters"
QUICK = "ttft_ms=0 token_ms=0 tokens=3"


def assert_refused(response: httpx.Response, code: str, says: str) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == code
    assert says in response.json()["error"]["message"]
    assert 1 <= int(response.headers["retry-after"]) <= 86_400


async def test_new_guests_per_address_are_capped_a_day(api_server: ApiFactory, postgres: Any) -> None:
    with restartable_redis() as redis:
        shared = {"DATABASE_URL": await postgres.new(), "REDIS_URL": redis.url, "GUESTS_PER_ADDRESS_PER_DAY": 3}
        with api_server(AUTH_SECRET=SECRET, **shared) as url:
            async with httpx.AsyncClient(base_url=url) as http:
                replies = [await http.post("/api/auth/guest") for _ in range(4)]
    assert [reply.status_code for reply in replies] == [201, 201, 201, 429]
    assert_refused(replies[-1], "rate_limited", "Too many guest sessions from your address today.")


async def test_all_guests_share_a_days_budget_and_accounts_keep_working(api_server: ApiFactory, postgres: Any) -> None:
    with restartable_redis() as redis:
        shared = {"DATABASE_URL": await postgres.new(), "REDIS_URL": redis.url, "GUEST_TOKENS_PER_DAY_TOTAL": 1500}
        with api_server(AUTH_SECRET=SECRET, **shared) as url:
            async with signed_in(url) as first, signed_in(url) as second, signed_in(url) as account:
                registered = await account.post(
                    "/api/auth/register", json={"email": "pool@example.com", "password": "correct horse battery"}
                )
                account.headers["Authorization"] = f"Bearer {registered.json()['access_token']}"
                big = {"max_tokens": 800}
                # The first guest's reservation (its prompt and 800) is taken from all guests' budget while it runs.
                slow = await streaming(first, chat("ttft_ms=0 token_ms=50 tokens=40", options=big)[0])
                refused = await second.post("/api/chat/events", json=chat(QUICK, options=big)[0])
                by_account = await account.post("/api/chat/events", json=chat(QUICK, options=big)[0])
                await slow
                later = await second.post("/api/chat/events", json=chat(QUICK, options=big)[0])
    assert_refused(refused, "quota_exceeded", "Guests have used today's shared budget")
    assert "Sign up for an account" in refused.json()["error"]["message"]
    assert by_account.status_code == 200, by_account.text
    assert later.status_code == 200, later.text  # the first answer used far less than it reserved: given back


async def test_starting_and_importing_conversations_are_rate_limited_per_user(
    api_server: ApiFactory, postgres: Any, redis_url: str
) -> None:
    limits = {"CONVERSATIONS_CREATED_PER_MINUTE": 3, "IMPORTS_PER_HOUR": 2}
    shared = {"DATABASE_URL": await postgres.new(), "REDIS_URL": redis_url, **limits}
    one = {"conversations": [{"title": "Kept", "messages": [{"role": "user", "content": "hi"}]}]}
    with api_server(AUTH_SECRET=SECRET, **shared) as url:
        async with signed_in(url) as ada, signed_in(url) as bo:
            created = [await ada.post("/api/conversations", json={}) for _ in range(4)]
            imported = [await ada.post("/api/conversations/import", json=one) for _ in range(3)]
            others = await bo.post("/api/conversations", json={})
            listed = (await ada.get("/api/conversations")).json()["items"]
    assert [reply.status_code for reply in created] == [201, 201, 201, 429]
    assert_refused(created[-1], "rate_limited", "starting conversations too quickly")
    assert [reply.status_code for reply in imported] == [201, 201, 429]
    assert_refused(imported[-1], "rate_limited", "imported conversations too often")
    assert others.status_code == 201  # each user has a limit of their own
    assert len(listed) == 5  # nothing of a refused request was written


@contextmanager
def statements_counted() -> Iterator[list[str]]:
    """Every statement any engine of this process sends (an executemany is one) while the block runs."""
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", count)


async def test_an_import_of_twenty_thousand_messages_is_written_in_bulk(
    api_server: ApiFactory, postgres: Any, redis_url: str
) -> None:
    """One insert per row, 20,000 round trips, took 7-17 s for this (664 kB, as in the security review) and held
    the database up for everyone else meanwhile: now a few statements of many rows each."""
    conversations = [
        {
            "title": f"Kept {index}",
            "messages": [
                {"role": "user" if turn % 2 == 0 else "assistant", "content": f"message {turn} of chat {index}"}
                for turn in range(2000)
            ],
        }
        for index in range(10)
    ]
    shared = {"DATABASE_URL": await postgres.new(), "REDIS_URL": redis_url, "MAX_BODY_BYTES": 2_000_000}
    with api_server(AUTH_SECRET=SECRET, **shared) as url:
        async with signed_in(url) as http:
            http.timeout = httpx.Timeout(60)
            with statements_counted() as sent:
                started = time.perf_counter()
                imported = await http.post("/api/conversations/import", json={"conversations": conversations})
                took = time.perf_counter() - started
            last = imported.json()["conversations"][9]["id"]
            page = (await http.get(f"/api/conversations/{last}/messages", params={"limit": 3})).json()
    inserts = [statement for statement in sent if statement.lstrip().upper().startswith("INSERT")]
    print(f"\nimport of 20,000 messages: {took:.2f} s, {len(sent)} statements, {len(inserts)} of them inserts")
    assert imported.status_code == 201, imported.text
    assert [m["content"] for m in page["items"]] == [f"message {turn} of chat 9" for turn in (1997, 1998, 1999)]
    # Rows go in batches (SQLAlchemy's: a thousand rows a statement), not a statement a row (20,010 before).
    assert len(inserts) <= 25 and len(sent) < 60, f"{len(sent)} statements"
