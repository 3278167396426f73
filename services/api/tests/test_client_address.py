"""The client address every per-address limit counts: the connecting peer's own, unless that peer is a proxy the
api trusts (FORWARDED_ALLOW_IPS), whose X-Forwarded-For then names it. Served as gunicorn's worker serves the
app: Uvicorn, given the proxies gunicorn.conf.py trusts."""

import runpy
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from gunicorn.config import Config as GunicornConfig
from pydantic import ValidationError

from chat_api.main import create_app
from chat_api.settings import Settings, get_settings

from .conftest import api_settings

GUNICORN_CONF = Path(__file__).parents[1] / "gunicorn.conf.py"
LIMIT = 3  # failed sign-ins an address may make


def trusted_by_gunicorn(monkeypatch: pytest.MonkeyPatch, forwarded_allow_ips: str | None) -> list[str]:
    """The proxies gunicorn's worker hands Uvicorn (`forwarded_allow_ips`), from gunicorn.conf.py."""
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "http://x")
    monkeypatch.setenv("AZURE_OPENAI_DEPLOYMENT", "chat")
    if forwarded_allow_ips is None:
        monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    else:
        monkeypatch.setenv("FORWARDED_ALLOW_IPS", forwarded_allow_ips)
    get_settings.cache_clear()
    try:
        conf = runpy.run_path(str(GUNICORN_CONF))
    finally:
        get_settings.cache_clear()
    cfg = GunicornConfig()
    cfg.set("forwarded_allow_ips", conf["forwarded_allow_ips"])
    trusted: list[str] = cfg.forwarded_allow_ips
    return trusted


@contextmanager
def serve_as_gunicorn_does(settings: Settings, trusted: list[str]) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), access_log=False, log_level="warning", forwarded_allow_ips=trusted)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the api did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def api(emulator_url: str, monkeypatch: pytest.MonkeyPatch, forwarded_allow_ips: str | None) -> Iterator[str]:
    overrides: dict[str, object] = {"LOGIN_MAX_FAILURES_PER_ADDRESS": LIMIT, "LOGIN_MAX_FAILURES_PER_ACCOUNT": 100}
    if forwarded_allow_ips is not None:
        overrides["FORWARDED_ALLOW_IPS"] = forwarded_allow_ips
    settings = api_settings(emulator_url, **overrides)
    with serve_as_gunicorn_does(settings, trusted_by_gunicorn(monkeypatch, forwarded_allow_ips)) as url:
        yield url


async def failed_sign_in(http: httpx.AsyncClient, forwarded_for: str, attempt: int) -> int:
    response = await http.post(
        "/api/auth/login",
        json={"email": f"nobody{attempt}@example.com", "password": "not the password"},
        headers={"X-Forwarded-For": forwarded_for},
    )
    assert response.status_code in (401, 429), response.text
    return response.status_code


async def test_a_forged_x_forwarded_for_from_a_peer_not_trusted_is_ignored(
    emulator_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By default the api trusts no proxy: a client that reaches it directly cannot choose its address, so a
    new forged address each time still has its failures counted against its own."""
    with api(emulator_url, monkeypatch, None) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            statuses = [await failed_sign_in(http, f"198.51.100.{i}", i) for i in range(LIMIT + 1)]
    assert statuses == [401] * LIMIT + [429]


async def test_a_trusted_proxys_x_forwarded_for_names_the_client(
    emulator_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind the proxy it trusts, each client is counted apart, by the address the proxy saw (the right-most
    one not trusted: what a client wrote before it is ignored)."""
    with api(emulator_url, monkeypatch, "127.0.0.1") as url:
        async with httpx.AsyncClient(base_url=url) as http:
            for attempt in range(LIMIT):
                assert await failed_sign_in(http, f"10.9.9.{attempt}, 203.0.113.7", attempt) == 401
            assert await failed_sign_in(http, "203.0.113.7", 100) == 429  # the one address, now throttled
            assert await failed_sign_in(http, "203.0.113.8", 101) == 401  # another client, not locked out


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("*", "'*' would let any client choose its own"),
        ("nginx", "'nginx' is not an IP address or network"),
        ("10.0.0.1/8", "'10.0.0.1/8' is not an IP address or network"),
    ],
)
def test_trusted_proxies_must_be_addresses(value: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        Settings(AZURE_OPENAI_ENDPOINT="http://x", AZURE_OPENAI_DEPLOYMENT="chat", FORWARDED_ALLOW_IPS=value)
