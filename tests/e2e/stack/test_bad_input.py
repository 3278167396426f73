"""Hostile and broken requests, written by hand, through nginx: each gets its status and the JSON envelope.

The fuzz (test_fuzz.py) covers what the schema can generate; these are what it cannot: bytes that are not
JSON or not UTF-8, bodies over nginx's limit (with and without Content-Length), nesting deeper than a JSON
parser's stack, and numbers that JSON allows but Python reads oddly.
"""

import json
from collections.abc import Iterator

import pytest

from .support import LEAKS, ROUTES, assert_envelope, exchange, needs_compose, new_tag, upstream_records

pytestmark = needs_compose

JSON = {"Content-Type": "application/json"}
MiB = 1024 * 1024


def body(**fields: object) -> bytes:
    return json.dumps({"message": "hi", **fields}).encode()


CASES = {
    "not JSON": (b"{not json", JSON, 400, "invalid_request", "not valid JSON"),
    "invalid UTF-8": (b'{"message": "\xff\xfe"}', JSON, 400, "invalid_request", "not valid JSON"),
    "a raw NUL byte": (b'{"message": "a\x00b"}', JSON, 400, "invalid_request", "not valid JSON"),
    "nested 100,000 deep": (
        b'{"message": "hi", "history": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        JSON,
        400,
        "invalid_request",
        "not valid JSON",
    ),
    "a 5,000-digit number": (body()[:-1] + b', "options": {"max_tokens": 1' + b"0" * 5000 + b"}}", JSON, 400, "", ""),
    "an empty body": (b"", JSON, 422, "invalid_request", "The body is missing"),
    "a JSON array": (b"[]", JSON, 422, "invalid_request", "valid dictionary"),
    "no content type": (body(), {}, 415, "unsupported_media_type", "JSON"),
    "text/plain": (body(), {"Content-Type": "text/plain"}, 415, "unsupported_media_type", "JSON"),
    "form data": (b"message=hi", {"Content-Type": "application/x-www-form-urlencoded"}, 415, "", ""),
    "an escaped NUL": (json.dumps({"message": "a\u0000b"}).encode(), JSON, 422, "", "must not contain NUL"),
    "NUL in history": (body(history=[{"role": "user", "content": "\u0000"}]), JSON, 422, "", "history[0].content"),
    "a lone surrogate": (b'{"message": "\\ud800"}', JSON, 422, "invalid_request", "message"),
    "a blank message": (body(message=" \t\n\u3000"), JSON, 422, "invalid_request", "must not be blank"),
    "a 1 MB message": (body(message="x" * 1_000_000), JSON, 422, "invalid_request", "message: must be at most"),
    "an invalid role": (body(history=[{"role": "root", "content": "x"}]), JSON, 422, "", "history[0].role"),
    "a tool role": (body(history=[{"role": "tool", "content": "x"}]), JSON, 422, "", "history[0].role"),
    "an extra field": (body(temperature_boost=2), JSON, 422, "invalid_request", "temperature_boost: Extra inputs"),
    "a model not in the list": (body(model="gpt-5"), JSON, 400, "invalid_request", "available: chat, chat-mini"),
    "max_tokens 10**18": (body(options={"max_tokens": 10**18}), JSON, 422, "", "options.max_tokens"),
    "max_tokens -1": (body(options={"max_tokens": -1}), JSON, 422, "", "options.max_tokens"),
    "max_tokens true": (body(options={"max_tokens": True}), JSON, 422, "", "options.max_tokens"),
    "temperature 1e308": (body(options={"temperature": 1e308}), JSON, 422, "", "options.temperature"),
    "temperature NaN": (body()[:-1] + b', "options": {"temperature": NaN}}', JSON, 422, "", "finite number"),
    "temperature as text": (body(options={"temperature": "0.5"}), JSON, 422, "", "options.temperature"),
    "top_p 0": (body(options={"top_p": 0}), JSON, 422, "invalid_request", "options.top_p"),
    "an unknown option": (body(options={"seed": 7}), JSON, 422, "invalid_request", "options.seed"),
}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_gets_its_status_and_the_envelope(route: str, case: str) -> None:
    content, headers, status, code, words = CASES[case]
    reply = exchange("POST", route, content, headers)
    error = assert_envelope(reply, status, code or None)
    assert words in error["message"]
    assert reply.headers.get("x-request-id")
    for leak in LEAKS:
        assert leak not in reply.body.decode(errors="replace")


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    yield b'{"message": "'
    for _ in range(total // size):
        yield b"x" * size
    yield b'"}'


@pytest.mark.parametrize("route", ROUTES)
def test_a_body_over_the_limit_is_413_from_nginx_with_a_content_length(route: str) -> None:
    reply = exchange("POST", route, body(message="x" * (MiB + 1000)), JSON)
    assert_envelope(reply, 413, "payload_too_large")


@pytest.mark.parametrize("route", ROUTES)
def test_a_chunked_body_over_the_limit_is_413_too(route: str) -> None:
    reply = exchange("POST", route, chunks(2 * MiB), JSON)  # http.client sends an iterable chunked
    assert_envelope(reply, 413, "payload_too_large")


def test_other_methods_and_routes_are_the_envelope_too() -> None:
    assert_envelope(exchange("GET", "/api/chat/stream"), 405, "method_not_allowed")
    assert_envelope(exchange("TRACE", "/api/chat/events"), 405, "method_not_allowed")
    assert_envelope(exchange("POST", "/api/nowhere", body(), JSON), 404, "not_found")
    assert_envelope(exchange("GET", "/api/"), 404, "not_found")
    assert_envelope(exchange("GET", "/api/auth/oidc/callback?code=" + "%F2%9F%BE%9E" * 3000), 414, "uri_too_long")


LONG_HISTORIES = {
    "1,000 turns": [{"role": "user", "content": "x"}] * 1000,
    "a 900 kB history": [{"role": "user", "content": "x" * 30_000}] * 30,
}


@pytest.mark.parametrize("case", list(LONG_HISTORIES))
def test_a_long_history_is_fitted_to_the_models_window_not_refused(case: str) -> None:
    tag = new_tag()
    history = LONG_HISTORIES[case]
    reply = exchange(
        "POST", "/api/chat/events", body(message=f"hi\n@emulator tokens=3 tag={tag}", history=history), JSON
    )
    assert reply.status == 200 and reply.events()[-1] == ("done", {"finish_reason": "stop"})
    (upstream,) = upstream_records(tag)
    # The system prompt, the newest turns that fit the model's window (none, when the newest alone is too
    # long), the message.
    assert 2 <= upstream["messages"] <= len(history) + 2
