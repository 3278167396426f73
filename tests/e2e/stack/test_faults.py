"""The fault matrix, through nginx, for both routes: what a client and an operator see when the model fails.

Each case injects a fault in the emulator, then checks the status (or SSE event), the JSON envelope, how many
upstream attempts the api made, and the api's one log line for the request id; and that neither the body nor
that log line carries the key, an upstream URL or a traceback.
"""

import http.client
import json
import os
import shlex
import subprocess
import time
import urllib.request
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

BASE_URL = os.environ.get("E2E_BASE_URL", "http://localhost:8080")
EMULATOR_URL = os.environ.get("E2E_EMULATOR_URL", "http://127.0.0.1:18081")
COMPOSE = shlex.split(os.environ.get("E2E_COMPOSE", ""))
UPSTREAM_TIMEOUT_S = float(os.environ.get("E2E_UPSTREAM_TIMEOUT_S", "5"))
KEY = os.environ.get("E2E_API_KEY", "emulator-key")
UPSTREAM = os.environ.get("E2E_UPSTREAM_HOST", "emulator:8000")  # the configured AZURE_OPENAI_ENDPOINT's host
LEAKS = (KEY, UPSTREAM, "http://", "Traceback", 'File "')  # in a body or a request's log line: none of these
LOG_LEAKS = (KEY, UPSTREAM, "Traceback", 'File "')  # anywhere in the log (gunicorn may say where it listens)

pytestmark = pytest.mark.skipif(not COMPOSE, reason="needs E2E_COMPOSE (reads the api's log) and the emulator")


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes, cut: bool) -> None:
        self.status, self.headers, self.body, self.cut = status, headers, body, cut

    def json(self) -> Any:
        return json.loads(self.body)

    def events(self) -> list[tuple[str, Any]]:
        found = []
        for block in self.body.decode().split("\n\n"):
            fields = dict(line.split(": ", 1) for line in block.splitlines() if line and not line.startswith(":"))
            if "event" in fields:
                found.append((fields["event"], json.loads(fields["data"])))
        return found


def post(route: str, directive: str) -> tuple[Reply, str, str]:
    """POST through nginx with a fresh request id and tag; returns the reply, the id and the tag."""
    request_id, tag = f"e2e-{uuid.uuid4().hex[:16]}", uuid.uuid4().hex
    body = json.dumps({"message": f"Fault case\n@emulator ttft_ms=0 token_ms=5 {directive} tag={tag}"})
    parts = urlsplit(BASE_URL)
    connection = http.client.HTTPConnection(parts.hostname or "localhost", parts.port, timeout=UPSTREAM_TIMEOUT_S + 30)
    connection.request("POST", route, body, {"Content-Type": "application/json", "X-Request-ID": request_id})
    response = connection.getresponse()
    data, cut = b"", False
    try:
        while chunk := response.read1(65536):
            data += chunk
    except http.client.IncompleteRead as error:
        data, cut = data + error.partial, True
    connection.close()
    return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data, cut), request_id, tag


def upstream_statuses(tag: str) -> list[int | None]:
    with urllib.request.urlopen(f"{EMULATOR_URL}/_emulator/requests?tag={tag}", timeout=5) as response:
        return [record["status"] for record in json.load(response)["requests"]]


def api_log_line(request_id: str) -> str:
    """The api's one log line for this request (written when the request ends, so poll briefly)."""
    for _ in range(40):
        logs = subprocess.run([*COMPOSE, "logs", "--no-log-prefix", "api"], capture_output=True, text=True, check=True)
        lines = [line for line in logs.stdout.splitlines() if f'"request_id":"{request_id}"' in line]
        if lines:
            assert len(lines) == 1, f"expected one log line for {request_id}, got {len(lines)}"
            return lines[0]
        time.sleep(0.25)
    raise AssertionError(f"no api log line for {request_id}")


def assert_clean(reply: Reply, request_id: str) -> dict[str, Any]:
    assert reply.headers.get("x-request-id") == request_id
    line = api_log_line(request_id)
    for leak in LEAKS:
        assert leak not in reply.body.decode(errors="replace"), f"the body leaks {leak!r}"
        assert leak not in line, f"the log line leaks {leak!r}"
    fields: dict[str, Any] = json.loads(line)
    return fields


def assert_envelope(reply: Reply, status: int, code: str) -> None:
    assert reply.status == status, reply.body[:300]
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code and body["error"]["message"]


ROUTES = ["/api/chat/stream", "/api/chat/events"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("directive", "status", "code", "attempts"),
    [
        ("fault=429 retry_after=30", 429, "upstream_rate_limited", 1),  # too long to wait for: passed on
        ("fault=401", 502, "upstream_auth_failed", 1),
        ("fault=500", 502, "upstream_error", 3),  # retried twice, then reported
        ("fault=503", 502, "upstream_unavailable", 3),
        ("fault=prompt_filter", 400, "content_filtered", 1),
    ],
)
def test_failures_before_the_first_token(route: str, directive: str, status: int, code: str, attempts: int) -> None:
    reply, request_id, tag = post(route, directive)
    assert_envelope(reply, status, code)
    if status == 429:
        assert reply.headers["retry-after"] == "30"
    assert len(upstream_statuses(tag)) == attempts
    line = assert_clean(reply, request_id)
    assert line["status"] == status and line["error_code"] == code


@pytest.mark.parametrize("route", ROUTES)
def test_a_short_429_is_retried_and_the_client_never_sees_it(route: str) -> None:
    reply, request_id, tag = post(route, "fault=429 retry_after=0.2 fail_times=1 tokens=5")
    assert reply.status == 200 and not reply.cut
    assert upstream_statuses(tag) == [429, 200]
    assert assert_clean(reply, request_id)["upstream_attempts"] == 2


@pytest.mark.parametrize("route", ROUTES)
def test_a_silent_model_is_a_504_within_the_configured_timeout(route: str) -> None:
    started = time.monotonic()
    reply, request_id, _ = post(route, "fault=hang")
    took = time.monotonic() - started
    assert_envelope(reply, 504, "upstream_timeout")
    assert UPSTREAM_TIMEOUT_S <= took < UPSTREAM_TIMEOUT_S + 3, f"answered after {took:.1f}s"
    assert assert_clean(reply, request_id)["status"] == 504


def test_a_drop_mid_stream_is_an_error_event_on_events() -> None:
    reply, request_id, _ = post("/api/chat/events", "fault=drop after=5")
    assert reply.status == 200
    names = [name for name, _ in reply.events()]
    assert names[0] == "start" and names.count("delta") == 5 and names[-1] == "error"
    assert reply.events()[-1][1]["code"] == "upstream_unavailable"
    assert assert_clean(reply, request_id)["error_code"] == "upstream_unavailable"


def test_a_drop_mid_stream_cuts_the_text_body_short() -> None:
    reply, request_id, _ = post("/api/chat/stream", "fault=drop after=5")
    assert reply.status == 200 and reply.cut, "the text body ended as if it were complete"
    assert reply.body  # the five tokens before the drop arrived
    assert assert_clean(reply, request_id)["error_code"] == "upstream_unavailable"


def test_a_filtered_answer_ends_with_content_filter() -> None:
    reply, request_id, _ = post("/api/chat/events", "fault=content_filter after=4")
    assert reply.status == 200
    assert reply.events()[-1] == ("done", {"finish_reason": "content_filter"})
    assert assert_clean(reply, request_id)["finish_reason"] == "content_filter"
    text, _, _ = post("/api/chat/stream", "fault=content_filter after=4")
    assert text.status == 200 and not text.cut and text.body


def test_the_whole_api_log_carries_no_key_no_upstream_url_and_no_traceback() -> None:
    """After every fault above: not one line of the api's log, of any logger, leaks (runs last in this file)."""
    logs = subprocess.run([*COMPOSE, "logs", "--no-log-prefix", "api"], capture_output=True, text=True, check=True)
    assert logs.stdout.count('"logger":"chat_api.access"') >= 20  # the matrix above really went through it
    for leak in LOG_LEAKS:
        offending = [line for line in logs.stdout.splitlines() if leak in line]
        assert not offending, f"the api log leaks {leak!r}: {offending[:2]}"
