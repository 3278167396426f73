"""The fault matrix, through nginx, for both routes: what a client and an operator see when the model fails.

Each case injects a fault in the emulator, then checks the status (or SSE event), the JSON envelope, how many
upstream attempts the api made, and the api's one log line for the request id; and that neither the body nor
that log line carries the key, an upstream URL or a traceback.
"""

import json
import time
from typing import Any

import pytest

from .support import (
    LEAKS,
    LOG_LEAKS,
    ROUTES,
    UPSTREAM_TIMEOUT_S,
    Reply,
    api_log_line,
    assert_envelope,
    needs_compose,
    post,
    service_logs,
    upstream_statuses,
)

pytestmark = needs_compose


def assert_clean(reply: Reply, request_id: str) -> dict[str, Any]:
    assert reply.headers.get("x-request-id") == request_id
    line = api_log_line(request_id)
    for leak in LEAKS:
        assert leak not in reply.body.decode(errors="replace"), f"the body leaks {leak!r}"
        assert leak not in line, f"the log line leaks {leak!r}"
    fields: dict[str, Any] = json.loads(line)
    return fields


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
    logs = service_logs("api")
    assert logs.count('"logger":"chat_api.access"') >= 20  # the matrix above really went through it
    for leak in LOG_LEAKS:
        offending = [line for line in logs.splitlines() if leak in line]
        assert not offending, f"the api log leaks {leak!r}: {offending[:2]}"
