"""Single sign-on through nginx against the stack's OpenID provider (services/oidc-dev, compose.sso.yaml):
the whole code flow by HTTP, and the attacks on it, each refused with a redirect the UI explains and no session.

Assumes scripts/e2e.sh's stack: the api's OIDC_ISSUER is E2E_OIDC_URL (http://oidc.localhost:19400), the provider
published on that port of 127.0.0.1 (this process reaches it by address, naming the host in the Host header, as
not every resolver knows *.localhost), its users ada (Chat.User: member) and grace (Chat.Admin: admin), and the
api's refresh cookie Secure (so cookies are carried by hand here: Python's jar keeps Secure ones off http)."""

import os
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from stack.support import BASE_URL, needs_compose

OIDC_URL = os.environ.get("E2E_OIDC_URL", "http://oidc.localhost:19400")
pytestmark = needs_compose


class Browser:
    """The cookies one browser keeps for the app (name -> value), sent back as a browser would. Every browser a
    test opens is closed when it ends (`closed_browsers`)."""

    opened: ClassVar[list["Browser"]] = []

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}
        self.http = httpx.Client(base_url=BASE_URL, timeout=30)
        Browser.opened.append(self)

    def get(self, path: str) -> httpx.Response:
        return self._keep(self.http.get(path, headers=self._cookie_header()))

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self._keep(self.http.post(path, headers=self._cookie_header(), **kwargs))

    def _cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def _keep(self, response: httpx.Response) -> httpx.Response:
        for line in response.headers.get_list("set-cookie"):
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0].strip('"')
            if "max-age=0" in line.lower() or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response


@pytest.fixture(autouse=True)
def closed_browsers() -> Iterator[None]:
    yield
    while Browser.opened:
        Browser.opened.pop().http.close()


def at_provider(url: str, data: dict[str, str]) -> str:
    """Posts the provider's sign-in form: where it sends the browser back."""
    parts = urlsplit(url)
    direct = parts._replace(netloc=f"127.0.0.1:{parts.port}").geturl()
    answer = httpx.post(direct, data=data, headers={"Host": parts.netloc}, timeout=30)
    assert answer.status_code == 302, answer.text[:300]
    return answer.headers["location"]


def start(browser: Browser, return_to: str | None = None) -> str:
    answer = browser.get("/api/auth/oidc/start" + (f"?{urlencode({'return_to': return_to})}" if return_to else ""))
    assert answer.status_code == 302, answer.text
    assert answer.headers["location"].startswith(f"{OIDC_URL}/oauth2/authorize?")
    return answer.headers["location"]


def back_path(location: str) -> str:
    """The callback as a path of the app (the redirect URI is built from the Host the browser used)."""
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}" == BASE_URL, location
    return f"{parts.path}?{parts.query}"


def sign_in(browser: Browser, subject: str, return_to: str | None = None) -> dict[str, Any]:
    landed = browser.get(back_path(at_provider(start(browser, return_to), {"sub": subject})))
    assert landed.status_code == 302 and landed.headers["location"] == (return_to or "/"), landed.text
    session = browser.post("/api/auth/refresh")
    assert session.status_code == 200, session.text
    body: dict[str, Any] = session.json()
    return body


def refused(answer: httpx.Response, code: str) -> None:
    assert answer.status_code == 302 and answer.headers["location"] == f"/?sign_in_error={code}"
    assert "chat_refresh" not in answer.headers.get("set-cookie", "")
    assert "Traceback" not in answer.text


def test_the_methods_name_the_provider() -> None:
    methods = httpx.get(f"{BASE_URL}/api/auth/methods").json()
    assert methods["oidc"]["name"] == "Dev SSO" and methods["guests"] and methods["passwords"]


@pytest.mark.parametrize(("subject", "tier", "admin"), [("ada", "member", False), ("grace", "admin", True)])
def test_a_user_signs_in_with_the_tier_its_roles_map_to(subject: str, tier: str, admin: bool) -> None:
    session = sign_in(Browser(), subject, return_to="/c/00000000-0000-4000-8000-000000000000")
    user = session["user"]
    assert (user["sso"], user["tier"], user["admin"], user["name"]) == (True, tier, admin, f"{subject}@example.com")
    me = httpx.get(f"{BASE_URL}/api/me", headers={"Authorization": f"Bearer {session['access_token']}"})
    assert me.json()["id"] == user["id"]


def test_a_guest_who_signs_in_keeps_its_conversations() -> None:
    browser = Browser()
    guest = browser.post("/api/auth/guest").json()
    token = {"Authorization": f"Bearer {guest['access_token']}"}
    made = browser.http.post("/api/conversations", json={"title": "kept"}, headers=token).json()
    session = sign_in(browser, "ada")
    listed = browser.http.get("/api/conversations", headers={"Authorization": f"Bearer {session['access_token']}"})
    assert made["id"] in [item["id"] for item in listed.json()["items"]]


def test_a_replayed_callback_is_refused() -> None:
    browser = Browser()
    back = back_path(at_provider(start(browser), {"sub": "ada"}))
    assert browser.get(back).headers["location"] == "/"
    refused(browser.get(back), "state_mismatch")


def test_a_callback_finished_in_another_browser_is_refused() -> None:
    back = back_path(at_provider(start(Browser()), {"sub": "grace"}))  # the attacker's own sign-in
    refused(Browser().get(back), "state_mismatch")  # ... finished in the victim's browser


def test_a_forged_state_is_refused() -> None:
    browser = Browser()
    back = back_path(at_provider(start(browser), {"sub": "ada"}))
    code = parse_qs(urlsplit(back).query)["code"][0]
    refused(browser.get(f"/api/auth/oidc/callback?{urlencode({'code': code, 'state': 'forged'})}"), "state_mismatch")


def test_a_used_code_is_refused() -> None:
    browser = Browser()
    first = back_path(at_provider(start(browser), {"sub": "ada"}))
    assert browser.get(first).headers["location"] == "/"
    second = parse_qs(urlsplit(at_provider(start(browser), {"sub": "ada"})).query)
    used = parse_qs(urlsplit(first).query)["code"][0]
    query = urlencode({"code": used, "state": second["state"][0]})
    refused(browser.get(f"/api/auth/oidc/callback?{query}"), "code_refused")


def test_another_sign_ins_code_is_refused_by_its_nonce() -> None:
    browser = Browser()
    stolen = parse_qs(urlsplit(at_provider(start(browser), {"sub": "grace"})).query)["code"][0]
    mine = parse_qs(urlsplit(at_provider(start(browser), {"sub": "ada"})).query)["state"][0]
    refused(browser.get(f"/api/auth/oidc/callback?{urlencode({'code': stolen, 'state': mine})}"), "token_invalid")


def test_a_denied_sign_in_says_so() -> None:
    browser = Browser()
    refused(browser.get(back_path(at_provider(start(browser), {"action": "deny"}))), "denied")


@pytest.mark.parametrize("hostile", ["//evil.example.com", "https://evil.example.com", "/\\evil.example.com"])
def test_an_open_redirect_through_return_to_is_refused(hostile: str) -> None:
    answer = Browser().get(f"/api/auth/oidc/start?{urlencode({'return_to': hostile})}")
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_request"
