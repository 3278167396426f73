"""What the stack tests share: where the stack is, one HTTP exchange through nginx, the emulator's request log,
the containers' logs, and the contract's error envelope."""

import http.client
import json
import os
import shlex
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from httpx_sse import EventSource

BASE_URL = os.environ.get("E2E_BASE_URL", "http://localhost:8080")
EMULATOR_URL = os.environ.get("E2E_EMULATOR_URL", "http://127.0.0.1:18081")
COMPOSE = shlex.split(os.environ.get("E2E_COMPOSE", ""))
UPSTREAM_TIMEOUT_S = float(os.environ.get("E2E_UPSTREAM_TIMEOUT_S", "10"))
KEY = os.environ.get("E2E_API_KEY", "emulator-key")
UPSTREAM = os.environ.get("E2E_UPSTREAM_HOST", "emulator:8000")  # the configured AZURE_OPENAI_ENDPOINT's host
LEAKS = (KEY, UPSTREAM, "http://", "Traceback", 'File "')  # in a body or a request's log line: none of these
LOG_LEAKS = (KEY, UPSTREAM, "Traceback", 'File "')  # anywhere in a log (gunicorn may say where it listens)
ROUTES = ["/api/chat/stream", "/api/chat/events"]

needs_compose = pytest.mark.skipif(
    not COMPOSE, reason="needs E2E_COMPOSE (the compose project, set by scripts/e2e.sh) and the emulator"
)


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes, cut: bool) -> None:
        self.status, self.headers, self.body, self.cut = status, headers, body, cut

    def json(self) -> Any:
        return json.loads(self.body)

    def events(self) -> list[tuple[str, Any]]:
        """(event, data) pairs of an SSE body, parsed by httpx-sse (comments, such as heartbeats, skipped)."""
        response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=self.body)
        return [(event.event, event.json()) for event in EventSource(response).iter_sse()]


_token: list[str] = []


def access_token() -> str:
    """A guest's access token for this test run (every route that spends the model needs a user)."""
    if not _token:
        parts = urlsplit(BASE_URL)
        connection = http.client.HTTPConnection(parts.hostname or "localhost", parts.port, timeout=30)
        try:
            connection.request("POST", "/api/auth/guest")
            response = connection.getresponse()
            assert response.status == 201, response.read()[:300]
            _token.append(json.loads(response.read())["access_token"])
        finally:
            connection.close()
    return _token[0]


def bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token()}"}


def exchange(
    method: str,
    path: str,
    body: bytes | str | Iterable[bytes] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = UPSTREAM_TIMEOUT_S + 30,
    signed_in: bool = True,
) -> Reply:
    """One request through nginx, read to the end; `cut` says the body ended without its terminating chunk.
    An iterable body goes chunked (no Content-Length). To /api/ it goes as this run's guest unless
    `signed_in` is False (or the headers carry their own Authorization)."""
    headers = dict(headers or {})
    if signed_in and path.startswith("/api/") and "Authorization" not in headers:
        headers.update(bearer())
    parts = urlsplit(BASE_URL)
    connection = http.client.HTTPConnection(parts.hostname or "localhost", parts.port, timeout=timeout)
    try:
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        data, cut = b"", False
        try:
            while chunk := response.read1(65536):
                data += chunk
        except http.client.IncompleteRead as error:
            data, cut = data + error.partial, True
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data, cut)
    finally:
        connection.close()


def post_json(path: str, payload: object, headers: dict[str, str] | None = None, signed_in: bool = True) -> Reply:
    headers = {"Content-Type": "application/json", **(headers or {})}
    return exchange("POST", path, json.dumps(payload), headers, signed_in=signed_in)


def new_tag() -> str:
    return uuid.uuid4().hex


def post(route: str, directive: str) -> tuple[Reply, str, str]:
    """POST a chat through nginx with a fresh request id and tag; returns the reply, the id and the tag."""
    request_id, tag = f"e2e-{uuid.uuid4().hex[:16]}", new_tag()
    body = {"message": f"Fault case\n@emulator ttft_ms=0 token_ms=5 {directive} tag={tag}"}
    return post_json(route, body, {"X-Request-ID": request_id}), request_id, tag


def upstream_records(tag: str) -> list[dict[str, Any]]:
    """What the emulator saw of requests carrying `tag` (its request log, published for tests only)."""
    with urllib.request.urlopen(f"{EMULATOR_URL}/_emulator/requests?tag={tag}", timeout=5) as response:
        records: list[dict[str, Any]] = json.load(response)["requests"]
    return records


def upstream_end(tag: str, within: float = 5.0) -> dict[str, Any]:
    """The emulator's record of the request with `tag` once it has ended (waiting up to `within` seconds)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        records = upstream_records(tag)
        if records and records[-1]["ended_at"] is not None:
            return records[-1]
        time.sleep(0.02)
    raise AssertionError(f"the upstream request {tag} was still open {within}s later")


def upstream_statuses(tag: str) -> list[int | None]:
    return [record["status"] for record in upstream_records(tag)]


def compose(*args: str, check: bool = True, env: dict[str, str] | None = None) -> str:
    """Run `docker compose <args>` on the test project; returns its stdout."""
    done = subprocess.run([*COMPOSE, *args], capture_output=True, text=True, check=False, env=env)
    if check and done.returncode != 0:
        raise AssertionError(f"compose {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


def service_logs(service: str | None = None) -> str:
    return compose("logs", "--no-color", "--no-log-prefix", *([service] if service else []))


def api_log_line(request_id: str) -> str:
    """The api's one log line for this request (written when the request ends, so poll briefly)."""
    for _ in range(40):
        lines = [line for line in service_logs("api").splitlines() if f'"request_id":"{request_id}"' in line]
        if lines:
            assert len(lines) == 1, f"expected one log line for {request_id}, got {len(lines)}"
            return lines[0]
        time.sleep(0.25)
    raise AssertionError(f"no api log line for {request_id}")


def is_envelope(body: object) -> bool:
    """The contract's error body: exactly {"error": {"code": str, "message": str}}, both non-empty."""
    if not isinstance(body, dict) or set(body) != {"error"} or not isinstance(body["error"], dict):
        return False
    error = body["error"]
    return set(error) == {"code", "message"} and all(
        isinstance(error[key], str) and error[key] for key in ("code", "message")
    )


def assert_envelope(reply: Reply, status: int, code: str | None = None) -> dict[str, str]:
    assert reply.status == status, reply.body[:300]
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    assert is_envelope(body), body
    if code is not None:
        assert body["error"]["code"] == code, body
    error: dict[str, str] = body["error"]
    return error


def assert_no_leak(text: str, leaks: tuple[str, ...] = LEAKS) -> None:
    for leak in leaks:
        assert leak not in text, f"leaks {leak!r}: ...{text[max(0, text.find(leak) - 200) : text.find(leak) + 200]}..."


def wait_until_ready(within: float = 90.0) -> float:
    """Poll the api's readiness through nginx; returns how long it took."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        try:
            if exchange("GET", "/api/readyz", timeout=2).status == 200:
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"the api was not ready through nginx within {within}s")
