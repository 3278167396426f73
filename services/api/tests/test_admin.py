"""Who is an operator: an account whose tier is an admin tier, never an address anyone could register. A
password account gets its tier from `python -m chat_api.admin.set_tier` (run here in-process, through its
`main`), which takes effect from the user's next request; on SQLite and Postgres."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from chat_api.admin.set_tier import main

from .conftest import ACCOUNT_PASSWORD, ApiFactory, api_settings, signed_in, signed_up

SECRET = "a-test-signing-secret-of-forty-characters"
TIERS: dict[str, Any] = {
    "default": "member",
    "tiers": [{"name": "admin", "admin": True}, {"name": "member"}],
}
EXPORT = "/api/admin/feedback.csv"


async def set_tier(emulator_url: str, store: dict[str, str], *argv: str) -> int:
    """The command with the api's settings (its database, Redis and tiers), in a thread: it runs its own loop."""
    settings = api_settings(emulator_url, TIERS=TIERS, **store)
    return await asyncio.to_thread(main, list(argv), settings)


@asynccontextmanager
async def operator(url: str, emulator_url: str, store: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in to a new account that the command made an operator (the api runs with TIERS)."""
    email = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    async with signed_up(url, email) as http:
        assert await set_tier(emulator_url, store, email, "admin") == 0
        session = await http.post("/api/auth/login", json={"email": email, "password": ACCOUNT_PASSWORD})
        assert session.status_code == 200, session.text
        http.headers["Authorization"] = f"Bearer {session.json()['access_token']}"
        yield http


@pytest.fixture(scope="module")
async def url(api_server: ApiFactory, shared_store: dict[str, str]) -> AsyncIterator[str]:
    with api_server(AUTH_SECRET=SECRET, AUTH_COOKIE_SECURE=False, TIERS=TIERS, **shared_store) as served:
        yield served


def assert_forbidden(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.json()["error"] == {"code": "forbidden", "message": "This is for the service's operators only."}


async def test_guests_and_plain_accounts_are_not_operators(url: str) -> None:
    async with signed_in(url) as guest:
        assert_forbidden(await guest.get(EXPORT))
    async with signed_up(url) as plain:
        me = (await plain.get("/api/me")).json()
        assert (me["tier"], me["admin"]) == ("member", False)  # no tier given: the default
        assert_forbidden(await plain.get(EXPORT))
    async with httpx.AsyncClient(base_url=url) as anonymous:
        assert (await anonymous.get(EXPORT)).status_code == 401


async def test_an_account_given_an_admin_tier_is_an_operator_from_its_next_request(
    url: str, emulator_url: str, shared_store: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    email = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    async with signed_up(url, email) as ops:
        assert_forbidden(await ops.get(EXPORT))
        capsys.readouterr()
        # Named by a look-alike of its address, as a sign-in would find it.
        assert await set_tier(emulator_url, shared_store, email.upper().replace("@", "+tag@"), "admin") == 0
        assert capsys.readouterr().out.startswith(f"{email}: tier member -> admin (an operator), from the user's next")
        # The access token issued before carries the old tier: refused at once, on every process (Redis tells
        # them; without Redis, a single-process api reads the user again within 30 s). The session goes on, and
        # its next access token carries the new tier.
        told = "REDIS_URL" in shared_store
        stale = await ops.get(EXPORT)
        if told:
            assert stale.status_code == 401 and stale.json()["error"]["code"] == "unauthorized"
        refreshed = await ops.post("/api/auth/refresh")
        assert refreshed.status_code == 200, refreshed.text
        assert (refreshed.json()["user"]["tier"], refreshed.json()["user"]["admin"]) == ("admin", True)
        ops.headers["Authorization"] = f"Bearer {refreshed.json()['access_token']}"
        assert (await ops.get(EXPORT)).status_code == 200

        assert await set_tier(emulator_url, shared_store, email, "admin") == 0
        assert "is in the tier admin already" in capsys.readouterr().out
        assert (await ops.get(EXPORT)).status_code == 200  # nothing changed, nothing ended

        assert await set_tier(emulator_url, shared_store, email, "member") == 0
        if told:
            assert (await ops.get(EXPORT)).status_code == 401
        ops.headers["Authorization"] = f"Bearer {(await ops.post('/api/auth/refresh')).json()['access_token']}"
        assert_forbidden(await ops.get(EXPORT))


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["nobody@example.com", "admin"], "refused: no account with the email nobody@example.com"),
        (["not an address", "admin"], "refused: email: must be an email address"),
        (["{email}", "root"], "refused: no tier named 'root'; the configured tiers (TIERS or TIERS_FILE) are: admin,"),
    ],
)
async def test_the_command_refuses_an_unknown_account_or_tier(
    url: str,
    emulator_url: str,
    shared_store: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    says: str,
) -> None:
    email = f"plain-{uuid.uuid4().hex[:8]}@example.com"
    async with signed_up(url, email) as plain:
        capsys.readouterr()
        assert await set_tier(emulator_url, shared_store, *(arg.format(email=email) for arg in argv)) == 2
        written = capsys.readouterr()
        assert written.err.startswith(f"set_tier: {says}") and written.out == ""
        assert (await plain.get("/api/me")).json()["tier"] == "member"  # nothing changed, the token still works


async def test_a_guest_cannot_be_named(url: str, emulator_url: str, shared_store: dict[str, str]) -> None:
    """A guest has no address; the one it registers later is its account's, given a tier as any other."""
    async with signed_in(url) as guest:
        me = (await guest.get("/api/me")).json()
        assert me["guest"] and me["tier"] is None and not me["admin"]
        assert await set_tier(emulator_url, shared_store, f"{me['id']}@example.com", "admin") == 2
        assert_forbidden(await guest.get(EXPORT))


async def test_an_address_is_no_claim(api_server: ApiFactory, database: dict[str, str]) -> None:
    """Who first registers an operator's address gets nothing by it: ADMIN_EMAILS is gone."""
    with api_server(AUTH_SECRET=SECRET, ADMIN_EMAILS="ops@example.com", TIERS=TIERS, **database) as served:
        async with signed_up(served, "ops@example.com") as claimant:
            assert_forbidden(await claimant.get(EXPORT))


def test_the_command_reads_the_environment_and_says_how_to_call_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], emulator_url: str, tmp_path: Any
) -> None:
    for name, value in {
        "SQLITE_PATH": str(tmp_path / "chat.db"),
        "AZURE_OPENAI_ENDPOINT": emulator_url,
        "AZURE_OPENAI_DEPLOYMENT": "chat",
        "TIERS": '{"default": "member", "tiers": [{"name": "member"}]}',
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["ops@example.com", "admin"]) == 2
    assert "no tier named 'admin'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["ops@example.com"])
    assert usage.value.code == 2
    assert "usage: python -m chat_api.admin.set_tier [-h] email tier" in capsys.readouterr().err
