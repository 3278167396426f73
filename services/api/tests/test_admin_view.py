"""The admin view: the usage ledger (what answers of two users on two models spent, refusals counted), its
filters and CSV, the user list, disable and enable (refused from the next request on, refresh included), the
audit log, the votes on answers (their content only when the setting allows); and every admin route refused to
anyone but an operator, before anything is read. On SQLite and Postgres, each with Redis (the limits, which
refuse, need it)."""

import asyncio
import csv
import io
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from httpx_sse import EventSource
from sqlalchemy import select

from chat_api.admin.set_tier import main as set_tier_main
from chat_api.settings import DatabaseSettings
from chat_api.storage.engine import create_engine, create_sessions
from chat_api.storage.models import UsageDaily, User
from chat_api.storage.schema import upgrade_schema
from chat_api.usage.ledger import REFUSAL, Spent, UsageLedger

from .conftest import ACCOUNT_PASSWORD, ApiFactory, api_settings, signed_in, signed_up
from .test_guest_and_import_limits import statements_counted

SECRET = "a-test-signing-secret-of-forty-characters"
TIERS: dict[str, Any] = {
    "default": "member",
    "tiers": [
        {"name": "admin", "admin": True},
        {"name": "member"},
        {"name": "tight", "requests_per_minute": 1},
    ],
}
SECOND_MODEL = "other-deployment"
ADMIN_ROUTES = [
    ("GET", "/api/admin/usage"),
    ("GET", "/api/admin/usage.csv"),
    ("GET", "/api/admin/users"),
    ("POST", f"/api/admin/users/{uuid.uuid4()}/disable"),
    ("POST", f"/api/admin/users/{uuid.uuid4()}/enable"),
    ("GET", "/api/admin/audit"),
    ("GET", "/api/admin/feedback.csv"),
    ("GET", "/api/admin/feedback"),
]


@pytest.fixture(scope="module")
def store(shared_store: dict[str, str], redis_url: str) -> dict[str, str]:
    return {"REDIS_URL": redis_url, **shared_store}


def settings_for(store: dict[str, str], **more: Any) -> dict[str, Any]:
    return {"AUTH_SECRET": SECRET, "AUTH_COOKIE_SECURE": False, "TIERS": TIERS, **store, **more}


@pytest.fixture(scope="module")
async def url(api_server: ApiFactory, store: dict[str, str]) -> AsyncIterator[str]:
    with api_server(**settings_for(store)) as served:
        yield served


@pytest.fixture(scope="module")
async def other_url(api_server: ApiFactory, store: dict[str, str]) -> AsyncIterator[str]:
    """A second api on the same database and Redis whose answers come from another deployment."""
    with api_server(**settings_for(store, AZURE_OPENAI_DEPLOYMENT=SECOND_MODEL)) as served:
        yield served


async def set_tier(emulator_url: str, store: dict[str, str], email: str, tier: str) -> None:
    settings = api_settings(emulator_url, TIERS=TIERS, **store)
    assert await asyncio.to_thread(set_tier_main, [email, tier], settings) == 0


@asynccontextmanager
async def account(url: str, emulator_url: str, store: dict[str, str], tier: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in to a new password account in `tier`; its email in `http.headers["X-Test-Email"]`."""
    email = f"{tier}-{uuid.uuid4().hex[:8]}@example.com"
    async with signed_up(url, email) as http:
        if tier != TIERS["default"]:
            await set_tier(emulator_url, store, email, tier)
        session = await http.post("/api/auth/login", json={"email": email, "password": ACCOUNT_PASSWORD})
        assert session.status_code == 200, session.text
        http.headers["Authorization"] = f"Bearer {session.json()['access_token']}"
        http.headers["X-Test-Email"] = email
        yield http


@pytest.fixture
async def ops(url: str, emulator_url: str, store: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with account(url, emulator_url, store, "admin") as http:
        yield http


async def user_id(http: httpx.AsyncClient) -> str:
    ident: str = (await http.get("/api/me")).json()["id"]
    return ident


async def answer(http: httpx.AsyncClient, base_url: str | None = None, content: str = "Hello there") -> dict[str, int]:
    """A conversation with one answer (through the api at `base_url` when given); the answer's usage event."""
    target = base_url or str(http.base_url)
    headers = {"Authorization": http.headers["Authorization"]}
    async with httpx.AsyncClient(base_url=target, headers=headers, timeout=10) as api:
        conversation_id = (await api.post("/api/conversations", json={})).json()["id"]
        sent = await api.post(f"/api/conversations/{conversation_id}/messages", json={"content": content})
        assert sent.status_code == 200, sent.text
        (usage,) = [event.json() for event in EventSource(sent).iter_sse() if event.event == "usage"]
    return {"input_tokens": usage["prompt_tokens"], "output_tokens": usage["completion_tokens"]}


async def eventually(read: Callable[[], Awaitable[Any]], expected: Callable[[Any], bool]) -> Any:
    """The ledger is written just after the answer's end is sent: read until it says what is expected."""
    for _ in range(50):
        value = await read()
        if expected(value):
            return value
        await asyncio.sleep(0.1)
    return value


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def summed(*usages: dict[str, int]) -> dict[str, int]:
    return {key: sum(usage[key] for usage in usages) for key in ("input_tokens", "output_tokens")}


async def test_the_ledger_sums_answers_by_user_and_model(
    url: str, other_url: str, ops: httpx.AsyncClient, emulator_url: str, store: dict[str, str]
) -> None:
    async with account(url, emulator_url, store, "member") as ada, account(url, emulator_url, store, "member") as bo:
        ada_id, bo_id = await user_id(ada), await user_id(bo)
        ada_chat = [await answer(ada), await answer(ada)]
        ada_other = await answer(ada, other_url)
        bo_chat = await answer(bo)

        async def by_user() -> dict[str, Any]:
            report = await ops.get("/api/admin/usage", params={"group": "user", "from": today(), "to": today()})
            assert report.status_code == 200, report.text
            return {row["user_id"]: row for row in report.json()["rows"]}

        rows = await eventually(by_user, lambda rows: rows.get(ada_id, {}).get("answers") == 3 and bo_id in rows)
        assert rows[ada_id] | summed(*ada_chat, ada_other) == rows[ada_id]
        assert rows[ada_id]["user"] == ada.headers["X-Test-Email"] and rows[ada_id]["refusals"] == 0
        assert rows[ada_id]["day"] is None and rows[ada_id]["model"] is None
        assert rows[bo_id] | summed(bo_chat) | {"answers": 1, "tool_calls": 0} == rows[bo_id]

        models = await ops.get("/api/admin/usage", params={"group": "model", "user": ada_id})
        by_model = {row["model"]: row for row in models.json()["rows"]}
        assert set(by_model) == {"chat", SECOND_MODEL}
        assert by_model["chat"] | summed(*ada_chat) | {"answers": 2} == by_model["chat"]
        assert by_model[SECOND_MODEL] | summed(ada_other) | {"answers": 1} == by_model[SECOND_MODEL]
        assert models.json()["totals"] | summed(*ada_chat, ada_other) | {"answers": 3} == models.json()["totals"]

        only_other = await ops.get("/api/admin/usage", params={"group": "day", "model": SECOND_MODEL, "user": ada_id})
        assert [(row["day"], row["answers"]) for row in only_other.json()["rows"]] == [(today(), 1)]
        yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
        before = await ops.get("/api/admin/usage", params={"user": ada_id, "from": yesterday, "to": yesterday})
        assert before.json()["rows"] == [] and before.json()["totals"]["answers"] == 0
        limited = await ops.get("/api/admin/usage", params={"group": "user", "limit": 1})
        assert len(limited.json()["rows"]) == 1 and limited.json()["truncated"] is True


async def test_refusals_of_the_limits_are_counted(
    url: str, ops: httpx.AsyncClient, emulator_url: str, store: dict[str, str]
) -> None:
    async with account(url, emulator_url, store, "tight") as tight:
        tight_id = await user_id(tight)
        await answer(tight)
        conversation_id = (await tight.post("/api/conversations", json={})).json()["id"]
        refused = await tight.post(f"/api/conversations/{conversation_id}/messages", json={"content": "Again"})
        assert refused.status_code == 429, refused.text

        async def row() -> dict[str, Any]:
            rows = (await ops.get("/api/admin/usage", params={"user": tight_id})).json()["rows"]
            return rows[0] if rows else {}

        counted = await eventually(row, lambda row: row.get("refusals") == 1)
        assert (counted["answers"], counted["refusals"]) == (1, 1)


async def test_tool_calls_are_counted(
    url: str, ops: httpx.AsyncClient, emulator_url: str, store: dict[str, str]
) -> None:
    async with account(url, emulator_url, store, "member") as ada:
        ada_id = await user_id(ada)
        two_calls = (
            'What time is it?\n@emulator call current_time {"timezone": "Europe/Berlin"}'
            '\n@emulator call current_time {"timezone": "Asia/Tokyo"}'
        )
        spent = await answer(ada, content=two_calls)

        async def row() -> dict[str, Any]:
            rows = (await ops.get("/api/admin/usage", params={"user": ada_id})).json()["rows"]
            return rows[0] if rows else {}

        counted = await eventually(row, lambda row: row.get("answers") == 1)
        assert counted | spent | {"tool_calls": 2} == counted


async def test_the_usage_exports_as_csv_and_the_export_is_audited(
    url: str, ops: httpx.AsyncClient, emulator_url: str, store: dict[str, str]
) -> None:
    async with account(url, emulator_url, store, "member") as ada:
        ada_id = await user_id(ada)
        spent = await answer(ada)

        async def exported() -> httpx.Response:
            return await ops.get("/api/admin/usage.csv", params={"group": "user", "user": ada_id})

        response = await eventually(exported, lambda response: ada_id in response.text)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"].startswith('attachment; filename="usage-user-')
        header, *rows = list(csv.reader(io.StringIO(response.text)))
        assert header == [
            "user_id",
            "user",
            "input_tokens",
            "output_tokens",
            "reasoning_tokens",
            "answers",
            "refusals",
            "tool_calls",
        ]
        expected = [ada_id, ada.headers["X-Test-Email"], str(spent["input_tokens"]), str(spent["output_tokens"])]
        assert [row[:4] for row in rows] == [expected]
        assert [row[5] for row in rows] == ["1"]

        entry = (await ops.get("/api/admin/audit")).json()["items"][0]
        assert (entry["action"], entry["actor"], entry["target"]) == ("usage.export", ops.headers["X-Test-Email"], None)
        assert ada_id in entry["detail"]


BAD_FILTERS: list[tuple[dict[str, str], str]] = [
    ({"from": "2026-12-06", "to": "2026-12-01"}, "from: must not be after `to`"),
    ({"from": "2025-01-01", "to": "2026-12-01"}, "from: the range may span at most 366 days"),
    ({"from": "yesterday"}, "from"),
    ({"group": "week"}, "group"),
    ({"user": "not-a-uuid"}, "user"),
    ({"model": ""}, "model"),
]


async def test_bad_filters_are_422_in_the_envelope(ops: httpx.AsyncClient) -> None:
    for params, says in BAD_FILTERS:
        for path in ("/api/admin/usage", "/api/admin/usage.csv"):
            response = await ops.get(path, params=params)
            assert response.status_code == 422, (params, response.text)
            error = response.json()["error"]
            assert error["code"] == "invalid_request" and says in error["message"], error
    for path, params in [
        ("/api/admin/usage", {"limit": "0"}),
        ("/api/admin/users", {"cursor": "nope"}),
        ("/api/admin/audit", {"limit": "500"}),
    ]:
        response = await ops.get(path, params=params)
        assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"
    assert (await ops.post("/api/admin/users/not-a-uuid/disable")).status_code == 422


def assert_forbidden(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.json() == {"error": {"code": "forbidden", "message": "This is for the service's operators only."}}


async def test_every_admin_route_refuses_guests_and_plain_accounts_before_reading_anything(
    url: str, emulator_url: str, store: dict[str, str]
) -> None:
    async with signed_in(url) as guest, account(url, emulator_url, store, "member") as plain:
        target = await user_id(plain)
        for http in (guest, plain):
            for method, path in ADMIN_ROUTES:
                assert_forbidden(await http.request(method, path))
            # Bad filters are not looked at either: nothing says which are right.
            assert_forbidden(await http.get("/api/admin/usage", params={"from": "bad", "group": "week"}))
            assert_forbidden(await http.get("/api/admin/feedback", params={"rating": "sideways"}))
            assert_forbidden(await http.post(f"/api/admin/users/{target}/disable"))
        assert (await plain.get("/api/me")).status_code == 200  # not disabled by the attempt
        async with httpx.AsyncClient(base_url=url) as anonymous:
            for method, path in ADMIN_ROUTES:
                assert (await anonymous.request(method, path)).status_code == 401


async def test_users_are_listed_and_found(
    url: str, ops: httpx.AsyncClient, emulator_url: str, store: dict[str, str]
) -> None:
    async with account(url, emulator_url, store, "member") as ada, signed_in(url) as guest:
        ada_id, guest_id = await user_id(ada), await user_id(guest)
        email = ada.headers["X-Test-Email"]
        found = await ops.get("/api/admin/users", params={"query": email.split("@")[0].upper()})
        assert found.status_code == 200, found.text
        (user,) = found.json()["items"]
        assert user["id"] == ada_id and user["email"] == email and user["tier"] == "member"
        assert (user["guest"], user["sso"], user["admin"], user["disabled"]) == (False, False, False, False)
        assert user["disabled_at"] is None and user["created_at"] and user["last_seen_at"]  # signed in: seen
        assert (await ops.get("/api/admin/users", params={"query": ada_id})).json()["items"][0]["id"] == ada_id
        assert (await ops.get("/api/admin/users", params={"query": "%"})).json()["items"] == []  # no wildcard

        accounts = (await ops.get("/api/admin/users", params={"limit": 200})).json()["items"]
        assert guest_id not in {row["id"] for row in accounts}
        everyone = (await ops.get("/api/admin/users", params={"guests": "true", "limit": 200})).json()["items"]
        assert guest_id in {row["id"] for row in everyone}
        first = await ops.get("/api/admin/users", params={"limit": 1})
        after = await ops.get("/api/admin/users", params={"limit": 1, "cursor": first.json()["next_cursor"]})
        assert first.json()["items"][0]["id"] != after.json()["items"][0]["id"]


async def test_a_disabled_user_is_refused_at_once_and_an_enabled_one_signs_in_again(
    url: str, ops: httpx.AsyncClient, emulator_url: str, store: dict[str, str]
) -> None:
    async with account(url, emulator_url, store, "member") as ada:
        ada_id, email = await user_id(ada), ada.headers["X-Test-Email"]
        assert (await ops.post(f"/api/admin/users/{ada_id}/disable")).status_code == 204

        stale = await ada.get("/api/me")
        assert stale.status_code == 401 and stale.json()["error"]["code"] == "unauthorized"
        assert (await ada.post("/api/auth/refresh")).status_code == 401
        login = await ada.post("/api/auth/login", json={"email": email, "password": ACCOUNT_PASSWORD})
        assert login.status_code == 401
        listed = (await ops.get("/api/admin/users", params={"query": ada_id})).json()["items"][0]
        assert listed["disabled"] and listed["disabled_at"]

        assert (await ops.post(f"/api/admin/users/{ada_id}/enable")).status_code == 204
        login = await ada.post("/api/auth/login", json={"email": email, "password": ACCOUNT_PASSWORD})
        assert login.status_code == 200, login.text
        ada.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        assert (await ada.get("/api/me")).status_code == 200

        ops_id = await user_id(ops)
        itself = await ops.post(f"/api/admin/users/{ops_id}/disable")
        assert itself.status_code == 409 and itself.json()["error"]["code"] == "conflict"
        assert (await ops.post(f"/api/admin/users/{uuid.uuid4()}/disable")).status_code == 404

        entries = (await ops.get("/api/admin/audit", params={"limit": 2})).json()
        actions = [(e["action"], e["actor_id"], e["actor"], e["target_id"], e["target"]) for e in entries["items"]]
        assert actions == [
            ("user.enable", ops_id, ops.headers["X-Test-Email"], ada_id, email),
            ("user.disable", ops_id, ops.headers["X-Test-Email"], ada_id, email),
        ]
        assert entries["next_cursor"] is not None


async def test_a_tier_given_on_the_command_line_is_in_the_audit_log(
    url: str, ops: httpx.AsyncClient, emulator_url: str, store: dict[str, str]
) -> None:
    async with account(url, emulator_url, store, "member") as ada:
        await set_tier(emulator_url, store, ada.headers["X-Test-Email"], "tight")
        entries = (await ops.get("/api/admin/audit")).json()["items"]
        given = [entry for entry in entries if entry["target"] == ada.headers["X-Test-Email"]]
        assert [(e["action"], e["actor_id"], e["actor"], e["detail"]) for e in given] == [
            ("tier.give", None, "command line", "member -> tight")
        ]


async def voted(http: httpx.AsyncClient, rating: str, content: str = "Hello there", **vote: str) -> dict[str, str]:
    """A new conversation with one answer, voted on: the ids of the conversation and the answer."""
    conversation_id = (await http.post("/api/conversations", json={})).json()["id"]
    sent = await http.post(f"/api/conversations/{conversation_id}/messages", json={"content": content})
    assert sent.status_code == 200, sent.text
    (start,) = [event.json() for event in EventSource(sent).iter_sse() if event.event == "start"]
    path = f"/api/conversations/{conversation_id}/messages/{start['assistant_message_id']}/feedback"
    assert (await http.put(path, json={"rating": rating, **vote})).status_code == 200
    return {"conversation_id": conversation_id, "message_id": start["assistant_message_id"]}


def just_before() -> str:
    """A `since` that the votes given from now on match, and those of earlier tests (on the same store) do not."""
    return datetime.now(UTC).isoformat()


async def test_votes_are_listed_newest_first_filtered_and_paged(
    url: str, ops: httpx.AsyncClient, emulator_url: str, store: dict[str, str]
) -> None:
    since = just_before()
    async with account(url, emulator_url, store, "member") as ada:
        ada_id = await user_id(ada)
        first = await voted(ada, "up", reason="helpful")
        second = await voted(ada, "down", reason="inaccurate", comment="It said 2+2=5.")
        third = await voted(ada, "up")

        listed = await ops.get("/api/admin/feedback", params={"since": since})
        assert listed.status_code == 200, listed.text
        body = listed.json()
        assert body["content_visible"] is False and body["next_cursor"] is None
        assert [item["message_id"] for item in body["items"]] == [v["message_id"] for v in (third, second, first)]
        row = body["items"][1]
        assert row | second == row and row["user_id"] == ada_id
        assert (row["rating"], row["reason"], row["comment"], row["model"]) == (
            "down",
            "inaccurate",
            "It said 2+2=5.",
            "chat",
        )
        assert (row["email"], row["display_name"]) == (ada.headers["X-Test-Email"], None)
        assert row["at"] and row["question"] is None and row["answer"] is None

        downs = (await ops.get("/api/admin/feedback", params={"since": since, "rating": "down"})).json()
        assert [item["message_id"] for item in downs["items"]] == [second["message_id"]]

        pages: list[str] = []
        cursor: str | None = None
        for _ in range(4):
            params = {"since": since, "limit": "1", **({"cursor": cursor} if cursor else {})}
            page = (await ops.get("/api/admin/feedback", params=params)).json()
            pages += [item["message_id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == [v["message_id"] for v in (third, second, first)]

        later = await ops.get("/api/admin/feedback", params={"since": "2999-01-01T00:00:00Z"})
        assert later.json()["items"] == []
        audited = (await ops.get("/api/admin/audit")).json()["items"]
        assert all(
            entry["action"] != "feedback.export" or entry["actor"] != ops.headers["X-Test-Email"] for entry in audited
        )


async def test_the_question_and_answer_are_listed_only_when_the_setting_allows(
    api_server: ApiFactory, emulator_url: str, store: dict[str, str]
) -> None:
    since = just_before()
    with api_server(**settings_for(store, ADMIN_SEES_FEEDBACK_CONTENT=True)) as open_url:
        async with (
            account(open_url, emulator_url, store, "admin") as ops,
            account(open_url, emulator_url, store, "member") as ada,
        ):
            vote = await voted(ada, "up", content="What is two and two?")
            shown = (await ops.get("/api/admin/feedback", params={"since": since})).json()
            conversation = (await ada.get(f"/api/conversations/{vote['conversation_id']}")).json()
    assert shown["content_visible"] is True
    (row,) = [item for item in shown["items"] if item["message_id"] == vote["message_id"]]
    assert row["question"] == "What is two and two?"
    assert row["answer"] == conversation["messages"]["items"][-1]["content"] and row["answer"]


async def test_bad_feedback_filters_are_422_in_the_envelope(ops: httpx.AsyncClient) -> None:
    for params, says in [
        ({"rating": "sideways"}, "rating"),
        ({"since": "2020-01-01T00:00:00"}, "since"),
        ({"since": "1700000000"}, "since"),
        ({"cursor": "nope"}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
    ]:
        response = await ops.get("/api/admin/feedback", params=params)
        assert response.status_code == 422, (params, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_request" and says in error["message"], error


async def test_the_ledger_writes_many_answers_in_one_statement_and_the_rest_at_shutdown(
    database: dict[str, str],
) -> None:
    engine = create_engine(DatabaseSettings(**database))  # type: ignore[arg-type]
    try:
        await upgrade_schema(engine)
        sessions = create_sessions(engine)
        async with sessions.begin() as session:
            ada, bo = User(), User()
            session.add_all([ada, bo])
        ledger = UsageLedger(sessions, flush_after_s=0.2)
        with statements_counted() as sent:
            for _ in range(50):
                ledger.add(ada.id, "chat", Spent(input_tokens=3, output_tokens=5, answers=1))
            ledger.add(bo.id, "chat", REFUSAL)
            await asyncio.sleep(0.6)
        assert len([statement for statement in sent if "usage_daily" in statement]) == 1
        ledger.add(ada.id, "other", Spent(answers=1, tool_calls=2))
        await ledger.drain()  # before its time: what is due is written at shutdown
        async with sessions() as session:
            rows = {(row.user_id, row.model): row for row in await session.scalars(select(UsageDaily))}
        assert (rows[ada.id, "chat"].input_tokens, rows[ada.id, "chat"].output_tokens) == (150, 250)
        assert (rows[ada.id, "chat"].answers, rows[ada.id, "chat"].refusals) == (50, 0)
        assert (rows[bo.id, "chat"].answers, rows[bo.id, "chat"].refusals) == (0, 1)
        assert (rows[ada.id, "other"].answers, rows[ada.id, "other"].tool_calls) == (1, 2)
    finally:
        await engine.dispose()
