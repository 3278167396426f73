#!/usr/bin/env python3
"""Smoke test of a running stack, through its front door.

    uv run --project tests/e2e python tests/e2e/smoke.py [BASE_URL]        (default http://localhost:8080)

Checks that the UI is served with its security headers, the api is healthy, a guest session starts,
/api/chat/stream streams INCREMENTALLY (the first chunk long before the last: nothing buffers on the way),
/api/chat/events sends start, delta, usage and done, a message sent into a conversation is answered and
saved, and bad input gets the JSON error envelope. Exit status 0 only if all pass.
Against the bundled emulator the `@emulator` line paces the answer; a real model ignores it.
"""

import http.client
import json
import sys
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
from httpx_sse import connect_sse

BASE_URL = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8080"
PACED = "Explain streaming in a few paragraphs.\n@emulator ttft_ms=100 token_ms=40 tokens=40"


class Failure(AssertionError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Failure(message)


def connect() -> http.client.HTTPConnection:
    parts = urlsplit(BASE_URL)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    return connection_class(parts.hostname or "localhost", parts.port, timeout=30)


Reply = tuple[http.client.HTTPResponse, bytes]
JSON_HEADERS = {"Content-Type": "application/json"}


TOKEN: list[str] = []


def signed_in() -> dict[str, str]:
    """A guest's access token: the api's model-spending routes need a user (a guest will do)."""
    if not TOKEN:
        connection = connect()
        connection.request("POST", "/api/auth/guest")
        response = connection.getresponse()
        data = response.read()
        connection.close()
        check(response.status == 201, f"a guest session answered {response.status}: {data[:200]!r}")
        TOKEN.append(json.loads(data)["access_token"])
    return {"Authorization": f"Bearer {TOKEN[0]}"}


def request(method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
    connection = connect()
    connection.request(method, path, body, {**signed_in(), **(headers or {})})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response, data


def post_json(path: str, payload: object, content_type: str = "application/json") -> Reply:
    return request("POST", path, json.dumps(payload).encode(), {"Content-Type": content_type})


def expect_envelope(response: http.client.HTTPResponse, data: bytes, status: int, code: str) -> None:
    check(response.status == status, f"expected {status}, got {response.status}: {data[:200]!r}")
    check((response.getheader("Content-Type") or "").startswith("application/json"), "error is not JSON")
    body = json.loads(data)
    check(set(body) == {"error"} and set(body["error"]) == {"code", "message"}, f"not the envelope: {body}")
    check(body["error"]["code"] == code, f"expected code {code}, got {body['error']['code']}")


# --- the checks -------------------------------------------------------------------------------------------


def ui_is_served_with_security_headers() -> str:
    response, data = request("GET", "/")
    check(response.status == 200, f"GET / answered {response.status}")
    check(b'id="root"' in data, "the page has no app root")
    csp = response.getheader("Content-Security-Policy") or ""
    check("default-src 'self'" in csp and "frame-ancestors 'none'" in csp, f"weak or missing CSP: {csp!r}")
    check(response.getheader("X-Content-Type-Options") == "nosniff", "no nosniff")
    check(bool(response.getheader("Referrer-Policy")), "no Referrer-Policy")
    return "index.html with CSP, nosniff, Referrer-Policy"


def api_is_healthy_and_ready() -> str:
    response, data = request("GET", "/api/healthz")
    check(response.status == 200 and json.loads(data) == {"status": "ok"}, f"healthz: {response.status} {data!r}")
    response, data = request("GET", "/api/readyz")
    check(response.status == 200 and json.loads(data) == {"status": "ready"}, f"readyz: {response.status} {data!r}")
    return "healthz ok, readyz ready"


def text_stream_arrives_incrementally() -> str:
    connection = connect()
    started = time.monotonic()
    headers = {"Content-Type": "application/json", **signed_in()}
    connection.request("POST", "/api/chat/stream", json.dumps({"message": PACED}), headers)
    response = connection.getresponse()
    check(response.status == 200, f"stream answered {response.status}")
    check((response.getheader("Content-Type") or "").startswith("text/plain"), "not text/plain")
    check(bool(response.getheader("X-Request-ID")), "no X-Request-ID")
    arrivals: list[float] = []
    text = b""
    while chunk := response.read1(65536):
        arrivals.append(time.monotonic() - started)
        text += chunk
    connection.close()
    text.decode("utf-8")  # raises if any multi-byte character was split and not rejoined
    check(len(arrivals) >= 10, f"only {len(arrivals)} reads: the body was buffered somewhere")
    spread = arrivals[-1] - arrivals[0]
    check(spread >= 0.5, f"all chunks arrived within {spread:.3f}s: the body was buffered somewhere")
    return f"{len(arrivals)} reads; first at {arrivals[0] * 1000:.0f} ms, last at {arrivals[-1] * 1000:.0f} ms"


def events_stream_has_start_delta_usage_done() -> str:
    body = {"message": "Say hello.\n@emulator tokens=12 ttft_ms=0 token_ms=0"}
    with (
        httpx.Client(base_url=BASE_URL, timeout=30, headers=signed_in()) as http,
        connect_sse(http, "POST", "/api/chat/events", json=body) as source,
    ):
        response = source.response
        check(response.status_code == 200, f"events answered {response.status_code}")
        check(response.headers.get("content-type", "").startswith("text/event-stream"), "not text/event-stream")
        events = [(event.event, event.json()) for event in source.iter_sse()]
    names = [name for name, _ in events]
    check(names[0] == "start" and names[-1] == "done", f"events: {names}")
    check("delta" in names and "usage" in names, f"events: {names}")
    check(
        events[0][1]["request_id"] == response.headers.get("x-request-id"), "start.request_id differs from the header"
    )
    usage = dict(events)["usage"]
    check(usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"], f"usage: {usage}")
    return f"{names.count('delta')} deltas, usage {usage['total_tokens']} tokens, done {events[-1][1]['finish_reason']}"


def a_conversation_is_answered_and_saved() -> str:
    response, data = post_json("/api/conversations", {})
    check(response.status == 201, f"creating a conversation answered {response.status}: {data[:200]!r}")
    conversation = json.loads(data)["id"]
    content = {"content": "Remember me.\n@emulator tokens=8 ttft_ms=0 token_ms=0"}
    response, data = post_json(f"/api/conversations/{conversation}/messages", content)
    check(response.status == 200, f"sending answered {response.status}: {data[:200]!r}")
    check(b"\nevent: done\n" in data and data.startswith(b"id: "), "the answer's events have no ids or no done")
    response, data = request("GET", f"/api/conversations/{conversation}")
    saved = json.loads(data)["messages"]["items"]
    check([(m["role"], m["status"]) for m in saved] == [("user", "done"), ("assistant", "done")], f"saved: {saved}")
    return (
        f"saved: a question and its answer ({len(saved[1]['content'])} characters), title {json.loads(data)['title']!r}"
    )


def bad_input_gets_the_envelope() -> str:
    expect_envelope(*post_json("/api/chat/stream", {}), 422, "invalid_request")
    expect_envelope(*post_json("/api/chat/stream", {"message": "hi"}, "text/plain"), 415, "unsupported_media_type")
    expect_envelope(*request("POST", "/api/chat/stream", b"{not json", JSON_HEADERS), 400, "invalid_request")
    expect_envelope(*request("GET", "/api/chat/stream"), 405, "method_not_allowed")
    expect_envelope(*request("GET", "/api/nope"), 404, "not_found")
    big = json.dumps({"message": "x" * 2_000_000}).encode()
    expect_envelope(*request("POST", "/api/chat/stream", big, JSON_HEADERS), 413, "payload_too_large")
    return "422, 415, 400, 405, 404, 413: all in the envelope"


CHECKS: list[Callable[[], str]] = [
    ui_is_served_with_security_headers,
    api_is_healthy_and_ready,
    text_stream_arrives_incrementally,
    events_stream_has_start_delta_usage_done,
    a_conversation_is_answered_and_saved,
    bad_input_gets_the_envelope,
]


def main() -> int:
    print(f"smoke test of {BASE_URL}")
    failed = 0
    for run in CHECKS:
        name = run.__name__.replace("_", " ")
        try:
            detail = run()
            print(f"PASS {name}: {detail}")
        except (Failure, OSError, ValueError, KeyError, IndexError) as error:
            failed += 1
            print(f"FAIL {name}: {error}")
    print(f"smoke: {len(CHECKS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
