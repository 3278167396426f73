"""Pacing, disconnects and the request log, over a real socket."""

import logging
import time
import uuid

import httpx
import orjson
import pytest

from emulator.app import Emulator
from emulator.testing import eventually

from .conftest import API_KEY, chat_url
from .test_faults import wait_for_end


def body(directive: str, **extra: object) -> dict[str, object]:
    tag = uuid.uuid4().hex
    return {
        "messages": [{"role": "user", "content": f"pace\n@emulator {directive} tag={tag}"}],
        "stream": True,
        **extra,
    }


def tag_of(request: dict[str, object]) -> str:
    messages = request["messages"]
    assert isinstance(messages, list)
    return str(messages[0]["content"].rsplit("tag=", 1)[1])


async def test_pacing_spreads_chunks_over_time(http: httpx.AsyncClient) -> None:
    arrivals: list[float] = []
    start = time.monotonic()
    request = body("ttft_ms=150 token_ms=20 tokens=10")
    async with http.stream("POST", chat_url(), json=request) as response:
        async for line in response.aiter_lines():
            if '"content":"' in line and '"role"' not in line:
                arrivals.append(time.monotonic() - start)
    assert len(arrivals) == 10
    assert arrivals[0] >= 0.15  # time to first token
    assert arrivals[-1] - arrivals[0] >= 9 * 0.02 * 0.9  # nine gaps of 20 ms, sleep granularity aside


async def test_tokens_per_chunk_groups_tokens(http: httpx.AsyncClient) -> None:
    response = await http.post(
        chat_url(), json=body("tokens=10 tokens_per_chunk=4", stream_options={"include_usage": True})
    )
    chunks = [orjson.loads(b[6:]) for b in response.text.split("\n\n") if b.startswith("data: {")]
    contents = [
        c["choices"][0]["delta"]["content"] for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")
    ]
    assert len(contents) == 3  # 4 + 4 + 2
    assert chunks[-1]["usage"]["completion_tokens"] == 10


async def test_disconnect_mid_stream_is_logged_within_100_ms(http: httpx.AsyncClient, emulator: Emulator) -> None:
    request = body("ttft_ms=0 token_ms=50 tokens=200")
    async with http.stream("POST", chat_url(), json=request) as response:
        lines = response.aiter_lines()
        seen = 0
        async for line in lines:
            seen += '"content":"' in line and '"role"' not in line
            if seen >= 3:
                break
        closed_at = time.time()
        await response.aclose()
    record = await wait_for_end(emulator, tag_of(request))
    assert record.disconnected and record.outcome == "disconnected" and record.status == 200
    assert record.disconnected_at is not None
    assert 0 <= record.disconnected_at - closed_at < 0.1
    assert 3 <= record.tokens_sent < 10


async def test_request_log_records_what_tests_need_and_never_the_key(
    http: httpx.AsyncClient, emulator: Emulator
) -> None:
    request = body("tokens=5", max_tokens=100, temperature=0.5, stream_options={"include_usage": True})
    await http.post(chat_url(), json=request)
    await wait_for_end(emulator, tag_of(request))  # its record is closed just after the response's last byte
    response = await http.get("/_emulator/requests", params={"tag": tag_of(request)})
    (record,) = response.json()["requests"]
    assert record["route"] == "azure" and record["deployment"] == "chat" and record["api_version"]
    assert record["client"] == "127.0.0.1"
    assert record["messages"] == 1 and record["status"] == 200 and record["outcome"] == "completed"
    assert record["options"] == {
        "max_tokens": 100,
        "temperature": 0.5,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert record["tokens_sent"] == 5 and record["chunks_sent"] == 5 and record["disconnected"] is False
    assert record["received_at"] <= record["started_at"] <= record["first_token_at"] <= record["ended_at"]
    assert API_KEY not in response.text


async def test_request_log_limit_and_clear(http: httpx.AsyncClient, emulator: Emulator) -> None:
    for _ in range(3):
        await http.post(chat_url(), json=body("tokens=1"))
    assert len((await http.get("/_emulator/requests", params={"limit": 2})).json()["requests"]) == 2
    assert (await http.delete("/_emulator/requests")).status_code == 204
    assert emulator.log.recent() == []


def request_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "emulator.requests"]


async def test_one_json_log_line_per_request_without_the_key(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    request_logger = logging.getLogger("emulator.requests")
    request_logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="emulator.requests"):
            await http.post(chat_url(), json=body("tokens=3"))
            await http.post(chat_url(), json=body("fault=500"))
            # The line is written once the response has been sent, so it may trail the client a little.
            await eventually(lambda: len(request_lines(caplog)) == 2, what="two log lines")
    finally:
        request_logger.removeHandler(caplog.handler)
    lines = [orjson.loads(message) for message in request_lines(caplog)]
    assert [(line["status"], line["outcome"]) for line in lines] == [(200, "completed"), (500, "error")]
    assert all(API_KEY not in r.getMessage() for r in caplog.records)
