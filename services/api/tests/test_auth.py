"""Identity: guests, accounts, sessions that rotate, bad tokens, throttled sign-in; on SQLite and Postgres."""

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chat_api.auth import passwords, service
from chat_api.auth.tokens import AUDIENCE, ISSUER

from .conftest import ApiFactory, chat

SECRET = "a-test-signing-secret-of-forty-characters"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
async def auth_url(api_server: ApiFactory, shared_store: dict[str, str]) -> AsyncIterator[str]:
    """An api on a store of each kind, for this module (every test uses accounts of its own). Its cookie is not
    `Secure` (httpx, unlike a browser, sends no Secure cookie to an http://127.0.0.1 server); the first test
    checks the product's default."""
    with api_server(AUTH_SECRET=SECRET, AUTH_COOKIE_SECURE=False, **shared_store) as url:
        yield url


@pytest.fixture
async def api(auth_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=auth_url, timeout=10) as http:
        yield http


def bearer(session: httpx.Response) -> dict[str, str]:
    return {"Authorization": f"Bearer {session.json()['access_token']}"}


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_guest_chats_at_once_with_a_session_cookie(api_server: ApiFactory) -> None:
    with api_server(AUTH_SECRET=SECRET) as url:
        async with httpx.AsyncClient(base_url=url) as api:
            await a_guest_chats(api)


async def a_guest_chats(api: httpx.AsyncClient) -> None:
    session = await api.post("/api/auth/guest")
    assert session.status_code == 201
    body = session.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 600 and body["user"]["guest"] is True
    cookie = session.headers["set-cookie"]
    assert cookie.startswith("chat_refresh=")
    for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Path=/api/auth"):
        assert attribute.lower() in cookie.lower()
    assert session.headers["cache-control"] == "no-store"
    me = await api.get("/api/me", headers=bearer(session))
    assert me.json() == {
        "id": body["user"]["id"],
        "email": None,
        "guest": True,
        "name": None,
        "sso": False,
        "tier": None,
        "admin": False,
    }
    answer = await api.post("/api/chat/events", json=chat("tokens=3")[0], headers=bearer(session))
    assert answer.status_code == 200


@pytest.mark.parametrize("route", ["/api/chat/stream", "/api/chat/events"])
async def test_spending_the_model_needs_a_user(api: httpx.AsyncClient, route: str) -> None:
    assert_unauthorized(await api.post(route, json=chat("tokens=3")[0]))
    assert_unauthorized(await api.post(route, json=chat("tokens=3")[0], headers={"Authorization": "Basic eDp5"}))


def token(claims: dict[str, Any], key: Any = SECRET, algorithm: str = "HS256") -> str:
    now = int(time.time())
    base = {"sub": str(uuid.uuid4()), "guest": True, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 60}
    return jwt.encode({**base, **claims}, key, algorithm=algorithm)


def rsa_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def hs256_signed_with_a_public_key() -> str:
    """The HS/RS confusion attack: HMAC with a public key as the secret (PyJWT refuses to make one itself)."""
    public = rsa_key().public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    now = int(time.time())
    claims = {"sub": str(uuid.uuid4()), "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 60}
    signing_input = b".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=") for part in ({"alg": "HS256"}, claims)
    )
    signature = base64.urlsafe_b64encode(hmac.new(public, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    return (signing_input + b"." + signature).decode()


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda: token({"exp": int(time.time()) - 1}), id="expired"),
        pytest.param(lambda: token({}, key="another-secret-of-forty-characters-long!"), id="wrong-key"),
        pytest.param(lambda: token({}) + "x", id="tampered"),
        pytest.param(lambda: token({"aud": "someone-else"}), id="wrong-audience"),
        pytest.param(lambda: token({"iss": "someone-else"}), id="wrong-issuer"),
        pytest.param(lambda: jwt.encode({"sub": str(uuid.uuid4())}, "", algorithm="none"), id="alg-none"),
        pytest.param(lambda: token({}, key=rsa_key(), algorithm="RS256"), id="rs256"),
        pytest.param(hs256_signed_with_a_public_key, id="hs256-signed-with-a-public-key"),
        pytest.param(lambda: token({"sub": "not-a-uuid"}), id="bad-subject"),
        pytest.param(lambda: "not.a.jwt", id="garbage"),
    ],
)
async def test_bad_access_tokens_are_401(api: httpx.AsyncClient, bad: Any) -> None:
    response = await api.post(
        "/api/chat/events", json=chat("tokens=3")[0], headers={"Authorization": f"Bearer {bad()}"}
    )
    assert_unauthorized(response)
    assert "Traceback" not in response.text


async def test_refresh_rotates_and_reuse_of_a_rotated_token_ends_the_session(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "REUSE_LEEWAY", timedelta(0))
    await api.post("/api/auth/guest")
    first = api.cookies["chat_refresh"]
    refreshed = await api.post("/api/auth/refresh")
    assert refreshed.status_code == 200
    second = api.cookies["chat_refresh"]
    assert second != first
    assert (await api.get("/api/me", headers=bearer(refreshed))).status_code == 200

    stolen = await api.post("/api/auth/refresh", headers={"Cookie": f"chat_refresh={first}"})  # the old one, again
    assert_unauthorized(stolen)
    assert "used elsewhere" in stolen.json()["error"]["message"]
    api.cookies.set("chat_refresh", second, path="/api/auth")
    assert_unauthorized(await api.post("/api/auth/refresh"))  # the whole family is revoked


async def test_two_tabs_refreshing_together_do_not_end_the_session(api: httpx.AsyncClient) -> None:
    await api.post("/api/auth/guest")
    first = api.cookies["chat_refresh"]
    winner = await api.post("/api/auth/refresh")
    loser = await api.post("/api/auth/refresh", headers={"Cookie": f"chat_refresh={first}"})
    assert winner.status_code == 200
    assert_unauthorized(loser)
    assert "set-cookie" not in loser.headers  # the winner's cookie stays
    assert (await api.post("/api/auth/refresh")).status_code == 200  # and the session goes on


async def test_a_guest_becomes_an_account_and_keeps_its_identity(api: httpx.AsyncClient) -> None:
    guest = await api.post("/api/auth/guest")
    guest_id = guest.json()["user"]["id"]
    account = await api.post(
        "/api/auth/register", json={"email": "Ada@Example.com", "password": PASSWORD}, headers=bearer(guest)
    )
    assert account.status_code == 201, account.text
    assert account.json()["user"] == {
        "id": guest_id,
        "email": "ada@example.com",
        "guest": False,
        "name": "ada@example.com",
        "sso": False,
        "tier": "default",
        "admin": False,
    }
    again = await api.post(
        "/api/auth/register", json={"email": "x@example.com", "password": PASSWORD}, headers=bearer(account)
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    taken = await api.post("/api/auth/register", json={"email": "ada@example.com", "password": PASSWORD})
    assert taken.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "a@example.com", "password": "short"}, "password"),
        ({"email": "a@example.com", "password": "x" * 257}, "password"),
        ({"email": "a@example.com"}, "password"),
        ({"email": "a" * 250 + "@example.com", "password": PASSWORD}, "email"),
    ],
)
async def test_bad_credentials_are_422_naming_the_field(
    api: httpx.AsyncClient, body: dict[str, str], field: str
) -> None:
    response = await api.post("/api/auth/register", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith(field)


async def test_sign_in_and_out_here_and_everywhere(api: httpx.AsyncClient) -> None:
    await api.post("/api/auth/register", json={"email": "bo@example.com", "password": PASSWORD})
    api.cookies.clear()
    async with httpx.AsyncClient(base_url=api.base_url) as other_device:
        laptop = await api.post("/api/auth/login", json={"email": "BO@example.com", "password": PASSWORD})
        phone = await other_device.post("/api/auth/login", json={"email": "bo@example.com", "password": PASSWORD})
        assert laptop.status_code == phone.status_code == 200
        assert laptop.json()["user"]["id"] == phone.json()["user"]["id"]

        assert (await api.post("/api/auth/logout")).status_code == 204
        assert "chat_refresh" not in api.cookies
        assert (await other_device.post("/api/auth/refresh")).status_code == 200  # only this session ended

        phone = await other_device.post("/api/auth/refresh")
        assert (await other_device.post("/api/auth/logout-everywhere", headers=bearer(phone))).status_code == 204
        again = await api.post("/api/auth/login", json={"email": "bo@example.com", "password": PASSWORD})
        assert again.status_code == 200
        other_device.cookies.set("chat_refresh", phone.cookies.get("chat_refresh") or "x", path="/api/auth")
        assert_unauthorized(await other_device.post("/api/auth/refresh"))


async def test_changing_the_password_ends_every_other_session(api: httpx.AsyncClient) -> None:
    await api.post("/api/auth/register", json={"email": "cy@example.com", "password": PASSWORD})
    async with httpx.AsyncClient(base_url=api.base_url) as other_device:
        await other_device.post("/api/auth/login", json={"email": "cy@example.com", "password": PASSWORD})
        here = await api.post("/api/auth/refresh")
        wrong = await api.post(
            "/api/auth/password",
            json={"current_password": "nope-nope", "new_password": "a new password"},
            headers=bearer(here),
        )
        assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "forbidden"
        changed = await api.post(
            "/api/auth/password",
            json={"current_password": PASSWORD, "new_password": "a new password"},
            headers=bearer(here),
        )
        assert changed.status_code == 200
        assert_unauthorized(await other_device.post("/api/auth/refresh"))
        assert (await api.post("/api/auth/refresh")).status_code == 200
    old = await api.post("/api/auth/login", json={"email": "cy@example.com", "password": PASSWORD})
    assert_unauthorized(old)
    assert (
        await api.post("/api/auth/login", json={"email": "cy@example.com", "password": "a new password"})
    ).status_code == 200


async def test_an_unknown_email_costs_a_password_check_like_a_wrong_password(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await api.post("/api/auth/register", json={"email": "di@example.com", "password": PASSWORD})
    checks: list[str] = []
    real = passwords._hasher.verify

    def counting(password: str, hashed: str) -> bool:
        checks.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(passwords._hasher, "verify", counting)
    unknown = await api.post("/api/auth/login", json={"email": "nobody@example.com", "password": PASSWORD})
    wrong = await api.post("/api/auth/login", json={"email": "di@example.com", "password": "not the password"})
    assert_unauthorized(unknown)
    assert_unauthorized(wrong)
    assert unknown.json() == wrong.json()  # the same words: nothing says which emails exist
    assert len(checks) == 2 and all(hashed.startswith("$argon2") for hashed in checks)


def test_the_unknown_emails_hash_has_the_hashers_parameters() -> None:
    """Else an unknown email would cost another time than a real account's wrong password."""
    parameters = passwords._hasher.hash("any password").rsplit("$", 2)[0]
    assert passwords._DUMMY_HASH.rsplit("$", 2)[0] == parameters
    assert passwords._hasher.verify("not anybody's password", passwords._DUMMY_HASH)


async def test_failed_sign_ins_are_limited_per_account(api: httpx.AsyncClient) -> None:
    await api.post("/api/auth/register", json={"email": "ed@example.com", "password": PASSWORD})
    for _ in range(5):
        assert (
            await api.post("/api/auth/login", json={"email": "ed@example.com", "password": "wrong-wrong"})
        ).status_code == 401
    limited = await api.post("/api/auth/login", json={"email": "ed@example.com", "password": PASSWORD})
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert 0 < int(limited.headers["retry-after"]) <= 900
    other = await api.post("/api/auth/register", json={"email": "fi@example.com", "password": PASSWORD})
    assert other.status_code == 201


async def test_failed_sign_ins_are_limited_per_address(api_server: ApiFactory, database: dict[str, str]) -> None:
    with api_server(LOGIN_MAX_FAILURES_PER_ADDRESS=3, **database) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            for index in range(3):
                wrong = {"email": f"user{index}@example.com", "password": "wrong-wrong"}
                assert (await http.post("/api/auth/login", json=wrong)).status_code == 401
            limited = await http.post("/api/auth/login", json={"email": "new@example.com", "password": "x" * 8})
    assert limited.status_code == 429


async def test_no_password_token_or_hash_reaches_a_response_or_the_log(
    api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("DEBUG"):
        registered = await api.post("/api/auth/register", json={"email": "gu@example.com", "password": PASSWORD})
        refresh_token = api.cookies["chat_refresh"]
        await api.post("/api/auth/login", json={"email": "gu@example.com", "password": PASSWORD})
        me = await api.get("/api/me", headers=bearer(registered))
    logged = caplog.text + "".join(str(getattr(record, "fields", "")) for record in caplog.records)
    for secret in (PASSWORD, refresh_token, registered.json()["access_token"], "$argon2"):
        assert secret not in logged
        assert secret not in me.text
    assert PASSWORD not in registered.text and "$argon2" not in registered.text
