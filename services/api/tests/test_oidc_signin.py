"""Sign-in with a real OpenID provider, the whole authorization code flow over HTTP: the browser's side played
by httpx (its cookie jar, each redirect followed by hand so the test sees it), the provider's login form posted."""

import re
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from .conftest import ApiFactory, signed_in, signed_up
from .oidc_provider import authorize, provider

TIERS = {
    "default": "member",
    "tiers": [
        {"name": "admin", "roles": ["Chat.Admin"], "admin": True, "requests_per_minute": 77},
        {"name": "member", "roles": ["Chat.User"], "requests_per_minute": 5},
    ],
}


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with provider() as url:
        yield url


def oidc_settings(issuer: str, **overrides: Any) -> dict[str, Any]:
    return {
        "OIDC_ISSUER": issuer,
        "OIDC_CLIENT_ID": "chat-test",
        "OIDC_CLIENT_SECRET": "chat-test-secret",
        "OIDC_PROVIDER_NAME": "Contoso",
        "AUTH_COOKIE_SECURE": False,
        "TIERS": TIERS,
        **overrides,
    }


@pytest.fixture(scope="module")
def api(api_server: ApiFactory, issuer: str) -> Iterator[str]:
    with api_server(**oidc_settings(issuer)) as url:
        yield url


@pytest.fixture
async def browser(api: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api, timeout=10) as client:
        yield client


def query(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


async def start(browser: httpx.AsyncClient, return_to: str | None = None) -> str:
    params = {"return_to": return_to} if return_to else {}
    answer = await browser.get("/api/auth/oidc/start", params=params)
    assert answer.status_code == 302, answer.text
    assert "chat_oidc" in browser.cookies
    return answer.headers["location"]


async def sign_in(browser: httpx.AsyncClient, subject: str, return_to: str | None = None) -> dict[str, Any]:
    """The whole flow: the app's session (from the refresh cookie, as the UI gets it)."""
    back = await authorize(await start(browser, return_to), subject)
    landed = await browser.get(back)
    assert landed.status_code == 302, landed.text
    assert landed.headers["location"] == (return_to or "/")
    session = await browser.post("/api/auth/refresh")
    assert session.status_code == 200, session.text
    body: dict[str, Any] = session.json()
    return body


async def test_the_start_sends_the_browser_to_the_provider_with_pkce_state_and_nonce(
    browser: httpx.AsyncClient, issuer: str
) -> None:
    location = await start(browser)
    assert location.startswith(f"{issuer}/oauth2/authorize?")
    sent = query(location)
    assert sent["response_type"] == "code" and sent["client_id"] == "chat-test"
    assert sent["code_challenge_method"] == "S256" and re.fullmatch(r"[A-Za-z0-9_-]{43}", sent["code_challenge"])
    assert len(sent["state"]) >= 43 and len(sent["nonce"]) >= 43
    assert sent["redirect_uri"] == f"{browser.base_url}/api/auth/oidc/callback"
    assert "openid" in sent["scope"].split()
    cookie = next(c for c in browser.cookies.jar if c.name == "chat_oidc")
    assert cookie.path == "/api/auth/oidc" and cookie.has_nonstandard_attr("HttpOnly")


async def test_a_user_signs_in_and_chats_with_the_tier_its_roles_map_to(browser: httpx.AsyncClient) -> None:
    session = await sign_in(browser, "alice", return_to="/c/6f1c1f49-6a53-4b0e-9a6a-0f5b8bde3b7e")
    user = session["user"]
    assert user["guest"] is False and user["sso"] is True and user["email"] is None
    assert (user["name"], user["tier"], user["admin"]) == ("alice@example.com", "member", False)
    browser.headers["Authorization"] = f"Bearer {session['access_token']}"
    me = await browser.get("/api/me")
    assert me.json()["tier"] == "member"
    created = await browser.post("/api/conversations", json={"title": "mine"})
    assert created.status_code == 201, created.text


async def test_an_admin_gets_the_admin_tier_and_the_admin_routes(browser: httpx.AsyncClient) -> None:
    session = await sign_in(browser, "root")
    assert (session["user"]["tier"], session["user"]["admin"]) == ("admin", True)
    admin = {"Authorization": f"Bearer {session['access_token']}"}
    export = await browser.get("/api/admin/feedback.csv", headers=admin)
    assert export.status_code == 200, export.text
    # A password account may take the provider's address too: the list says which is which.
    async with signed_up(str(browser.base_url), "root@example.com"):
        found = (await browser.get("/api/admin/users", params={"query": "root@example.com"}, headers=admin)).json()
    assert sorted((user["sso"], user["email"], user["display_name"]) for user in found["items"]) == [
        (False, "root@example.com", None),
        (True, None, "root@example.com"),
    ]


async def test_a_member_does_not_get_the_admin_routes(browser: httpx.AsyncClient) -> None:
    session = await sign_in(browser, "alice")
    refused = await browser.get(
        "/api/admin/feedback.csv", headers={"Authorization": f"Bearer {session['access_token']}"}
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


async def test_a_user_without_a_mapped_role_gets_the_default_tier(browser: httpx.AsyncClient) -> None:
    assert (await sign_in(browser, "nobody"))["user"]["tier"] == "member"


async def test_the_account_is_the_same_at_every_sign_in(api: str) -> None:
    async with httpx.AsyncClient(base_url=api) as first, httpx.AsyncClient(base_url=api) as second:
        assert (await sign_in(first, "alice"))["user"]["id"] == (await sign_in(second, "alice"))["user"]["id"]


async def test_the_tier_sets_the_limits(api_server: ApiFactory, issuer: str, redis_url: str) -> None:
    with api_server(**oidc_settings(issuer, REDIS_URL=redis_url)) as url:
        async with httpx.AsyncClient(base_url=url) as browser:
            for subject, rate in (("root", 77), ("alice", 5)):
                browser.cookies.clear()
                session = await sign_in(browser, subject)
                usage = await browser.get(
                    "/api/me/usage", headers={"Authorization": f"Bearer {session['access_token']}"}
                )
                assert usage.json()["requests_per_minute"]["limit"] == rate


async def test_a_guest_who_signs_in_keeps_its_conversations(browser: httpx.AsyncClient) -> None:
    guest = (await browser.post("/api/auth/guest")).json()
    token = {"Authorization": f"Bearer {guest['access_token']}"}
    made = (await browser.post("/api/conversations", json={"title": "a guest's"}, headers=token)).json()
    # A subject signing in for the first time: the guest becomes its account.
    session = await sign_in(browser, f"new-{made['id']}")
    assert session["user"]["id"] == guest["user"]["id"] and session["user"]["sso"]
    mine = await browser.get("/api/conversations", headers={"Authorization": f"Bearer {session['access_token']}"})
    assert [item["id"] for item in mine.json()["items"]] == [made["id"]]
    # The guest's own token ended with the guest.
    assert (await browser.get("/api/me", headers=token)).status_code == 401


async def test_a_guest_who_signs_in_to_an_existing_account_brings_its_conversations(api: str) -> None:
    async with httpx.AsyncClient(base_url=api) as laptop:
        account = await sign_in(laptop, "alice")
    async with httpx.AsyncClient(base_url=api) as browser:
        guest = (await browser.post("/api/auth/guest")).json()
        token = {"Authorization": f"Bearer {guest['access_token']}"}
        made = (await browser.post("/api/conversations", json={"title": "brought"}, headers=token)).json()
        session = await sign_in(browser, "alice")
        assert session["user"]["id"] == account["user"]["id"]
        listed = await browser.get("/api/conversations", headers={"Authorization": f"Bearer {session['access_token']}"})
        assert made["id"] in [item["id"] for item in listed.json()["items"]]
        assert (await browser.get("/api/me", headers=token)).status_code == 401  # the guest is gone


async def test_a_replayed_callback_is_refused(browser: httpx.AsyncClient) -> None:
    back = await authorize(await start(browser), "alice")
    assert (await browser.get(back)).headers["location"] == "/"
    browser.cookies.delete("chat_refresh")
    replayed = await browser.get(back)
    assert replayed.headers["location"] == "/?sign_in_error=state_mismatch"
    assert "chat_refresh" not in replayed.cookies


async def test_a_used_code_is_refused_by_the_provider(browser: httpx.AsyncClient) -> None:
    first = await authorize(await start(browser), "alice")
    assert (await browser.get(first)).headers["location"] == "/"  # its code is used now
    second = query(await authorize(await start(browser), "alice"))
    replay = await browser.get(
        "/api/auth/oidc/callback", params={"code": query(first)["code"], "state": second["state"]}
    )
    assert replay.headers["location"] == "/?sign_in_error=code_refused"


async def test_another_sign_ins_code_is_refused_by_its_nonce(browser: httpx.AsyncClient) -> None:
    # A code injected into this browser's sign-in: the provider exchanges it, but its ID token carries the
    # other sign-in's nonce.
    stolen = query(await authorize(await start(browser), "root"))["code"]
    mine = query(await authorize(await start(browser), "alice"))
    answer = await browser.get("/api/auth/oidc/callback", params={"code": stolen, "state": mine["state"]})
    assert answer.headers["location"] == "/?sign_in_error=token_invalid"


async def test_a_callback_in_another_browser_is_refused(api: str, browser: httpx.AsyncClient) -> None:
    # Login CSRF: an attacker's own sign-in, finished in the victim's browser.
    back = await authorize(await start(browser), "alice")
    async with httpx.AsyncClient(base_url=api) as victim:
        answer = await victim.get(back)
    assert answer.headers["location"] == "/?sign_in_error=state_mismatch"
    assert "chat_refresh" not in answer.cookies


async def test_a_forged_state_is_refused(browser: httpx.AsyncClient) -> None:
    back = await authorize(await start(browser), "alice")
    forged = back.replace(f"state={query(back)['state']}", "state=forged")
    assert (await browser.get(forged)).headers["location"] == "/?sign_in_error=state_mismatch"


async def test_a_denied_sign_in_comes_back_with_its_reason(browser: httpx.AsyncClient) -> None:
    back = await authorize(await start(browser), "alice", deny=True)
    assert (await browser.get(back)).headers["location"] == "/?sign_in_error=denied"


@pytest.mark.parametrize("hostile", ["//evil.example.com", "https://evil.example.com", "/\\evil.example.com"])
async def test_an_open_redirect_through_return_to_is_refused(browser: httpx.AsyncClient, hostile: str) -> None:
    answer = await browser.get("/api/auth/oidc/start", params={"return_to": hostile})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_request"


async def test_a_disabled_account_is_refused(api_server: ApiFactory, issuer: str, tmp_path: Path) -> None:
    database = tmp_path / "chat.db"
    with api_server(**oidc_settings(issuer, SQLITE_PATH=str(database))) as url:
        async with httpx.AsyncClient(base_url=url) as browser:
            user_id = uuid.UUID((await sign_in(browser, "alice"))["user"]["id"])
            with sqlite3.connect(database) as connection:  # what the admin view will do (next issue)
                connection.execute("UPDATE users SET disabled_at = CURRENT_TIMESTAMP WHERE id = ?", (user_id.hex,))
            browser.cookies.clear()
            back = await authorize(await start(browser), "alice")
            answer = await browser.get(back)
    assert answer.headers["location"] == "/?sign_in_error=account_disabled"
    assert "chat_refresh" not in answer.cookies


async def test_an_unreachable_provider_ends_on_a_clear_error(api_server: ApiFactory) -> None:
    with api_server(**oidc_settings("http://127.0.0.1:9/nowhere")) as url:
        async with httpx.AsyncClient(base_url=url) as browser:
            answer = await browser.get("/api/auth/oidc/start")
    assert answer.headers["location"] == "/?sign_in_error=provider_unavailable"


async def test_the_methods_say_which_ways_in_exist(api: str, api_url: str) -> None:
    async with httpx.AsyncClient(base_url=api) as http:
        assert (await http.get("/api/auth/methods")).json() == {
            "guests": True,
            "passwords": True,
            "oidc": {"name": "Contoso", "start": "/api/auth/oidc/start"},
        }
    async with httpx.AsyncClient(base_url=api_url) as http:
        assert (await http.get("/api/auth/methods")).json()["oidc"] is None
        answer = await http.get("/api/auth/oidc/start")
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "oidc_disabled"


async def test_switched_off_ways_in_are_refused(api_server: ApiFactory, issuer: str) -> None:
    with api_server(**oidc_settings(issuer, AUTH_GUESTS=False, AUTH_PASSWORDS=False)) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            assert (await http.get("/api/auth/methods")).json()["guests"] is False
            guest = await http.post("/api/auth/guest")
            assert guest.status_code == 403 and guest.json()["error"]["code"] == "guests_disabled"
            credentials = {"email": "ada@example.com", "password": "a long enough passphrase"}
            for path in ("/api/auth/register", "/api/auth/login"):
                refused = await http.post(path, json=credentials)
                assert refused.status_code == 403 and refused.json()["error"]["code"] == "passwords_disabled"
            assert (await sign_in(http, "alice"))["user"]["sso"]


async def test_an_account_has_no_password_to_change(browser: httpx.AsyncClient) -> None:
    session = await sign_in(browser, "alice")
    changed = await browser.post(
        "/api/auth/password",
        json={"current_password": "x", "new_password": "a long enough passphrase"},
        headers={"Authorization": f"Bearer {session['access_token']}"},
    )
    assert changed.status_code == 409 and "no password" in changed.json()["error"]["message"]


async def test_the_guest_fixture_still_works(api: str) -> None:
    async with signed_in(api) as http:
        assert (await http.get("/api/me")).json()["guest"] is True


async def test_a_guest_signs_in_on_each_database(api_server: ApiFactory, issuer: str, database: dict[str, str]) -> None:
    with api_server(**oidc_settings(issuer, **database)) as url:
        async with httpx.AsyncClient(base_url=url) as browser:
            guest = (await browser.post("/api/auth/guest")).json()
            token = {"Authorization": f"Bearer {guest['access_token']}"}
            made = (await browser.post("/api/conversations", json={"title": "kept"}, headers=token)).json()
            session = await sign_in(browser, "root")
            assert (session["user"]["id"], session["user"]["tier"]) == (guest["user"]["id"], "admin")
            second = await browser.get(await authorize(await start(browser), "root"))  # the same account again
            assert second.headers["location"] == "/"
            again = await browser.post("/api/auth/refresh")
            listed = await browser.get(
                "/api/conversations", headers={"Authorization": f"Bearer {again.json()['access_token']}"}
            )
            assert [item["id"] for item in listed.json()["items"]] == [made["id"]]
