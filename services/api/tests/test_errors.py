"""Every bad input and every upstream failure: a clear status and `{"error": {"code", "message"}}`."""

import socket
from typing import Any

import httpx
import pytest
from emulator.app import Emulator

from .conftest import API_KEY, ApiFactory, chat, signed_in, sse_events, upstream_ended

ROUTES = ["/api/chat/stream", "/api/chat/events"]


def assert_envelope(response: httpx.Response, status: int, code: str, message: str = "") -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert message in body["error"]["message"]
    for leak in ("detail", "Traceback", API_KEY, "127.0.0.1", "openai.azure.com"):
        assert leak not in response.text


VALID: dict[str, Any] = {"message": "hi"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "message: Field required"),
        ({"message": ""}, "message: String should have at least 1 character"),
        ({"message": "   "}, "message: must not be blank"),
        ({"message": 42}, "message: Input should be a valid string"),
        ({"message": "x" * 2001}, "message: must be at most 2000 characters"),
        ({"message": "a\x00b"}, "message: must not contain NUL characters"),
        ({**VALID, "extra": 1}, "extra: Extra inputs are not permitted"),
        ({**VALID, "history": [{"role": "robot", "content": "x"}]}, "history[0].role: Input should be"),
        ({**VALID, "history": [{"role": "user"}]}, "history[0].content: Field required"),
        ({**VALID, "history": [{"role": "user", "content": "\x00"}]}, "history[0].content: must not contain NUL"),
        ({**VALID, "history": "nope"}, "history: Input should be a valid list"),
        ({**VALID, "options": {"temperature": 2.5}}, "options.temperature: Input should be less than or equal to 2"),
        ({**VALID, "options": {"temperature": False}}, "options.temperature: Input should be a valid number"),
        ({**VALID, "options": {"temperature": "0.5"}}, "options.temperature: Input should be a valid number"),
        ({**VALID, "options": {"max_tokens": 1.5}}, "options.max_tokens: Input should be a valid integer"),
        ({**VALID, "options": {"max_tokens": True}}, "options.max_tokens: Input should be a valid integer"),
        ({**VALID, "options": {"top_p": 0}}, "options.top_p: Input should be greater than 0"),
        ({**VALID, "options": {"max_tokens": 0}}, "options.max_tokens: Input should be greater than or equal to 1"),
        ({**VALID, "options": {"max_tokens": 10**9}}, "options.max_tokens: must be at most 4096"),
        ({**VALID, "options": {"seed": 1}}, "options.seed: Extra inputs are not permitted"),
        ([], "Input should be a valid dictionary"),
    ],
)
@pytest.mark.parametrize("route", ROUTES)
async def test_invalid_bodies_are_422_naming_the_field(
    client: httpx.AsyncClient, route: str, body: Any, message: str
) -> None:
    assert_envelope(await client.post(route, json=body), 422, "invalid_request", message)


async def test_json_numbers_are_taken_as_json_schema_does(client: httpx.AsyncClient) -> None:
    options = {"temperature": 1, "top_p": 1, "max_tokens": 5.0}  # 5.0 is an integer to JSON Schema
    body = {"message": "hi\n@emulator tokens=2 ttft_ms=0 token_ms=0", "options": options}
    assert (await client.post("/api/chat/stream", json=body)).status_code == 200


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b'{"message": "\xff\xfe"}',
        b"",
        b'{"message": "hi", "history": ' + b"[" * 5000 + b"]" * 5000 + b"}",  # too deep for json.loads
        b'{"message": "hi", "options": {"max_tokens": 1' + b"0" * 5000 + b"}}",  # over Python's int digits
    ],
)
async def test_malformed_json_is_400(client: httpx.AsyncClient, content: bytes) -> None:
    response = await client.post("/api/chat/stream", content=content, headers={"content-type": "application/json"})
    assert_envelope(response, 400 if content else 422, "invalid_request", "not valid JSON" if content else "")


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity"])
async def test_nan_and_infinity_are_not_numbers_here(client: httpx.AsyncClient, number: bytes) -> None:
    body = b'{"message": "hi", "options": {"temperature": ' + number + b"}}"  # Python's json reads these
    response = await client.post("/api/chat/stream", content=body, headers={"content-type": "application/json"})
    assert_envelope(response, 422, "invalid_request", "options.temperature: Input should be a finite number")


async def test_wrong_content_type_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/chat/stream", content=b"message=hi", headers={"content-type": "text/plain"})
    assert_envelope(response, 415, "unsupported_media_type", "application/json")


async def test_oversized_body_is_413_with_or_without_content_length(client: httpx.AsyncClient) -> None:
    big = b'{"message": "' + b"x" * 30_000 + b'"}'
    assert_envelope(
        await client.post("/api/chat/stream", content=big, headers={"content-type": "application/json"}),
        413,
        "payload_too_large",
    )

    async def chunked() -> Any:
        for start in range(0, len(big), 4096):
            yield big[start : start + 4096]

    response = await client.post("/api/chat/stream", content=chunked(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_envelope(response, 413, "payload_too_large")


async def test_unknown_route_and_wrong_method(client: httpx.AsyncClient) -> None:
    assert_envelope(await client.get("/api/nope"), 404, "not_found")
    assert_envelope(await client.get("/api/chat/stream"), 405, "method_not_allowed")


# --- upstream failures before the first token: a real status -------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("directive", "status", "code"),
    [
        ("fault=429 retry_after=30", 429, "upstream_rate_limited"),
        ("fault=401", 502, "upstream_auth_failed"),
        ("fault=500", 502, "upstream_error"),
        ("fault=503", 502, "upstream_unavailable"),
        ("fault=prompt_filter", 400, "content_filtered"),
        ("fault=empty", 502, "upstream_incomplete"),
    ],
)
async def test_upstream_failures_before_the_first_token_get_a_status(
    client: httpx.AsyncClient, route: str, directive: str, status: int, code: str
) -> None:
    body, _ = chat(directive)
    assert_envelope(await client.post(route, json=body), status, code)


async def test_429_passes_retry_after_on_and_is_not_waited_for_when_long(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    body, tag = chat("fault=429 retry_after=30")
    response = await client.post("/api/chat/events", json=body)
    assert response.headers["retry-after"] == "30"
    assert len(emulator.log.recent(tag=tag)) == 1  # 30 s is over UPSTREAM_RETRY_MAX_WAIT_S: no retry


async def test_quota_exhaustion_is_said_plainly(client: httpx.AsyncClient) -> None:
    body, _ = chat("fault=429 retry_after=86400")
    response = await client.post("/api/chat/stream", json=body)
    assert_envelope(response, 429, "upstream_rate_limited", "quota is used up")
    assert response.headers["retry-after"] == "86400"


async def test_short_429s_and_5xx_are_retried_before_the_first_token(
    client: httpx.AsyncClient, emulator: Emulator
) -> None:
    body, tag = chat("fault=429 retry_after=0.05 fail_times=2")
    response = await client.post("/api/chat/stream", json=body)
    assert response.status_code == 200 and response.text
    assert [(r.attempt, r.status) for r in emulator.log.recent(tag=tag)] == [(1, 429), (2, 429), (3, 200)]

    body, tag = chat("fault=503")
    assert_envelope(await client.post("/api/chat/stream", json=body), 502, "upstream_unavailable")
    assert len(emulator.log.recent(tag=tag)) == 3  # the first try and UPSTREAM_MAX_RETRIES=2 more


async def test_auth_and_filter_failures_are_not_retried(client: httpx.AsyncClient, emulator: Emulator) -> None:
    for fault in ("401", "prompt_filter"):
        body, tag = chat(f"fault={fault}")
        await client.post("/api/chat/stream", json=body)
        assert len(emulator.log.recent(tag=tag)) == 1


async def test_silent_upstream_is_504_within_the_timeout(api_server: ApiFactory, emulator: Emulator) -> None:
    with api_server(UPSTREAM_TIMEOUT_S=0.3) as url:
        async with signed_in(url) as http:
            body, tag = chat("fault=hang")
            response = await http.post("/api/chat/events", json=body)
    assert_envelope(response, 504, "upstream_timeout")
    assert (await upstream_ended(emulator, tag)).disconnected  # we hung up on it


async def test_an_upstream_refusing_connections_is_unavailable_not_a_timeout(api_server: ApiFactory) -> None:
    # (Pinned because the SDK's optional aiohttp transport reports a refused connection as a connect timeout.)
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        port = bound_not_listening.getsockname()[1]
        with api_server(AZURE_OPENAI_ENDPOINT=f"http://127.0.0.1:{port}", UPSTREAM_RETRY_MAX_WAIT_S=0.05) as url:
            async with signed_in(url) as http:
                response = await http.post("/api/chat/stream", json=VALID)
    assert_envelope(response, 502, "upstream_unavailable", "could not be reached")


# --- upstream failures after the first token: the stream says so ----------------------------------------


@pytest.mark.parametrize(
    ("fault", "code"),
    [("drop", "upstream_unavailable"), ("sse_error", "upstream_error"), ("no_finish", "upstream_incomplete")],
)
async def test_mid_stream_failure_is_an_error_event(client: httpx.AsyncClient, fault: str, code: str) -> None:
    body, _ = chat(f"fault={fault} after=4")
    response = await client.post("/api/chat/events", json=body)
    assert response.status_code == 200
    events = sse_events(response)
    assert [name for name, _ in events] == ["start", "delta", "delta", "delta", "delta", "error"]
    assert events[-1][1]["code"] == code and events[-1][1]["message"]


@pytest.mark.parametrize("fault", ["drop", "sse_error", "no_finish"])
async def test_mid_stream_failure_ends_the_text_body_abnormally(client: httpx.AsyncClient, fault: str) -> None:
    body, _ = chat(f"fault={fault} after=4")
    received: list[bytes] = []

    async def read() -> None:
        async with client.stream("POST", "/api/chat/stream", json=body) as response:
            assert response.status_code == 200
            async for raw in response.aiter_raw():
                received.append(raw)  # one by one: the cut raises mid-iteration

    with pytest.raises(httpx.RemoteProtocolError):
        await read()
    assert received  # the first four tokens arrived before the cut


async def test_mid_stream_content_filter_is_done_with_content_filter(client: httpx.AsyncClient) -> None:
    body, _ = chat("fault=content_filter after=3")
    events = sse_events(await client.post("/api/chat/events", json=body))
    assert events[-1] == ("done", {"finish_reason": "content_filter"})
