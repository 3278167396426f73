"""Secrets and headers.

The api key's value (a distinctive one in this stack, see scripts/e2e.sh) must appear nowhere: not in the
built UI bundle, not in any response body or header, not in the OpenAPI schema, not in any container's log.
The UI carries its security headers, and CORS is closed unless an allow-list opens it.
"""

import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from .support import COMPOSE, KEY, UPSTREAM, Reply, exchange, needs_compose, post, post_json, service_logs

pytestmark = needs_compose

SERVICES = ["nginx", "api", "ui", "emulator", "postgres", "migrate"]
PASSWORD = f"e2e-password-{uuid.uuid4().hex}"  # distinctive, so a leak of it anywhere is found


def flatten(reply: Reply) -> str:
    headers = "\n".join(f"{name}: {value}" for name, value in reply.headers.items())
    return headers + "\n\n" + reply.body.decode(errors="replace")


def test_the_key_is_long_enough_to_be_found() -> None:
    assert len(KEY) >= 12, "use a distinctive key for this test (E2E_API_KEY)"


def test_the_built_ui_bundle_does_not_carry_the_key() -> None:
    with tempfile.TemporaryDirectory() as copy:
        subprocess.run([*COMPOSE, "cp", "ui:/usr/share/nginx/html", copy], check=True, capture_output=True)
        files = [path for path in Path(copy).rglob("*") if path.is_file()]
        assert any(path.suffix == ".js" for path in files), "no bundle found"
        for path in files:
            content = path.read_bytes()
            assert KEY.encode() not in content, f"{path.name} carries the key"
            assert UPSTREAM.encode() not in content, f"{path.name} names the upstream"


@pytest.fixture(scope="module")
def traffic() -> list[Reply]:
    """Requests of every kind (pages, probes, answers, bad input, each upstream fault on both routes), so that
    the bodies, headers and logs these tests search hold all of them, whatever ran before."""
    replies = [
        exchange("GET", "/"),
        exchange("GET", "/api/openapi.json"),
        exchange("GET", "/api/docs"),
        exchange("GET", "/api/healthz"),
        exchange("GET", "/api/readyz"),
        exchange("GET", "/api/nowhere"),
        post_json("/api/chat/stream", {"message": "Hi\n@emulator tokens=5 ttft_ms=0 token_ms=0"}),
        post_json("/api/chat/events", {"message": "Hi\n@emulator tokens=5 ttft_ms=0 token_ms=0"}),
        post_json("/api/chat/events", {"message": ""}),
    ]
    for route in ("/api/chat/stream", "/api/chat/events"):
        for fault in ("fault=401", "fault=429 retry_after=60", "fault=500 fail_times=5", "fault=drop after=2"):
            replies.append(post(route, fault)[0])
    # An account, signed in and out: no password, token or hash in any body but the token's own, or any log.
    account = {"email": f"{uuid.uuid4().hex[:12]}@example.com", "password": PASSWORD}
    registered = post_json("/api/auth/register", account, signed_in=False)
    assert registered.status == 201, registered.body[:300]
    replies.append(post_json("/api/auth/login", account, signed_in=False))
    replies.append(post_json("/api/auth/login", {**account, "password": "wrong-password"}, signed_in=False))
    return replies


def test_no_response_body_or_header_carries_the_key(traffic: list[Reply]) -> None:
    assert [reply.status for reply in traffic[:5]] == [200] * 5
    for reply in traffic:
        assert PASSWORD not in flatten(reply) and "$argon2" not in flatten(reply)
        text = flatten(reply)
        assert KEY not in text
        assert UPSTREAM not in text


def test_the_openapi_schema_does_not_carry_the_key_or_the_endpoint() -> None:
    schema = exchange("GET", "/api/openapi.json").body.decode()
    assert KEY not in schema and UPSTREAM not in schema and "AZURE_OPENAI" not in schema


@pytest.mark.parametrize("service", SERVICES)
def test_no_container_log_carries_the_key(service: str, traffic: list[Reply]) -> None:
    logs = service_logs(service)
    if service not in ("ui", "postgres", "migrate"):  # these log errors and start-up only
        assert logs.strip(), f"{service} logged nothing: the scan would prove nothing"
    assert KEY not in logs, f"the {service} log carries the key"
    assert PASSWORD not in logs and "$argon2" not in logs, f"the {service} log carries a password or its hash"
    if service == "api":
        assert UPSTREAM not in logs and "Traceback" not in logs


def test_the_ui_has_its_security_headers() -> None:
    headers = exchange("GET", "/").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "camera=()" in headers["permissions-policy"]
    assert headers["server"] == "nginx", "nginx must not tell its version"


def test_cors_is_closed_by_default() -> None:
    origin = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"}
    preflight = exchange("OPTIONS", "/api/chat/events", None, origin)
    assert "access-control-allow-origin" not in preflight.headers
    simple = post_json("/api/chat/events", {"message": ""}, {"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in simple.headers
