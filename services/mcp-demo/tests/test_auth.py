import asyncio

import httpx
import jwt
import pytest
from pydantic import ValidationError

from mcp_demo.settings import Settings
from tests.conftest import SECRET, PerRequestToken, connect, token
from tests.test_tools import text_of

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


async def initialize(base_url: str, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(f"{base_url}/mcp", json=INITIALIZE, headers={**MCP_HEADERS, **headers})


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing bearer token"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "missing bearer token"),
        (bearer("not-a-jwt"), "malformed or invalid token"),
        (bearer(token(lifetime_s=-60)), "token expired"),
        (bearer(token(secret="another-secret-of-at-least-32-characters")), "token signature does not verify"),
        (bearer(token(audience="other-server")), "token is not for this server (audience must be 'demo')"),
        (bearer(token(issuer="someone-else")), "token issuer must be 'chat-api'"),
        (bearer(token(drop=("jti",))), "token lacks the 'jti' claim"),
        (bearer(token(drop=("exp",))), "token lacks the 'exp' claim"),
    ],
)
async def test_a_refused_token_is_a_401_with_its_reason_before_any_mcp(
    auth_url: str, headers: dict[str, str], reason: str
) -> None:
    response = await initialize(auth_url, headers)
    assert response.status_code == 401
    assert response.json() == {"error": reason}
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert "mcp-session-id" not in response.headers


async def test_an_unsigned_token_is_refused(auth_url: str) -> None:
    claims = jwt.decode(token(), options={"verify_signature": False})
    unsigned = jwt.encode(claims, "", algorithm="none")
    response = await initialize(auth_url, bearer(unsigned))
    assert response.status_code == 401 and response.json() == {"error": "malformed or invalid token"}


async def test_a_valid_token_opens_a_session(auth_url: str) -> None:
    response = await initialize(auth_url, bearer(token()))
    assert response.status_code == 200 and response.headers["mcp-session-id"]


async def test_whoami_names_the_caller_of_each_request(auth_url: str) -> None:
    auth = PerRequestToken("user-1", "Ada")
    async with connect(auth_url, auth) as session:
        first = await session.call_tool("whoami", {})
        auth.name = "Ada Lovelace"  # the same user, a new token with a new name: this call's token counts
        second = await session.call_tool("whoami", {})
        auth.name = None
        third = await session.call_tool("whoami", {})
    assert text_of(first) == "sub: user-1\nname: Ada"
    assert text_of(second) == "sub: user-1\nname: Ada Lovelace"
    assert text_of(third) == "sub: user-1\nname: "


async def test_a_session_answers_only_the_user_who_opened_it(auth_url: str) -> None:
    opened = await initialize(auth_url, bearer(token("user-1")))
    session_headers = {"mcp-session-id": opened.headers["mcp-session-id"], "mcp-protocol-version": "2025-06-18"}
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    async with httpx.AsyncClient() as http:
        other = await http.post(
            f"{auth_url}/mcp", json=listing, headers={**MCP_HEADERS, **session_headers, **bearer(token("user-2"))}
        )
    assert other.status_code == 404  # as if the session did not exist: the SDK's rule for another credential


async def test_two_users_at_once_each_see_themselves_and_their_own_notes(auth_url: str) -> None:
    async def as_user(sub: str) -> list[str]:
        async with connect(auth_url, PerRequestToken(sub, sub.title())) as session:
            texts: list[str] = []
            for n in range(5):
                await session.call_tool("add_note", {"text": f"{sub} note {n}"})
                texts.append(text_of(await session.call_tool("whoami", {})))
                await asyncio.sleep(0)
            texts.append(text_of(await session.call_tool("list_notes", {})))
            return texts

    ada, bob = await asyncio.gather(as_user("ada"), as_user("bob"))
    assert ada[:5] == ["sub: ada\nname: Ada"] * 5 and bob[:5] == ["sub: bob\nname: Bob"] * 5
    assert ada[5] == "\n".join(f"{n + 1}: ada note {n}" for n in range(5))
    assert bob[5] == "\n".join(f"{n + 1}: bob note {n}" for n in range(5))


async def test_health_needs_no_token(auth_url: str) -> None:
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{auth_url}/healthz")).status_code == 200


@pytest.mark.parametrize(("value", "secret"), [("", None), (SECRET, SECRET)])
def test_an_empty_secret_means_no_auth(value: str, secret: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCP_DEMO_TOKEN_SECRET", value)
    configured = Settings().token_secret
    assert (configured.get_secret_value() if configured else None) == secret


def test_a_short_secret_stops_the_server_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCP_DEMO_TOKEN_SECRET", "short")
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings()
