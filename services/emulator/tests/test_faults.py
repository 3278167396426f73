"""Every injected fault, as the openai SDK sees it, and as the request log records it."""

import time
import uuid
from typing import Any

import httpx
import openai
import pytest
from openai import AsyncAzureOpenAI

from emulator.app import Emulator
from emulator.testing import request_ended

from .conftest import API_KEY, API_VERSION


def ask(directive: str, text: str = "fault test") -> Any:
    # A unique tag keeps each test's attempt count and log entries its own.
    return [{"role": "user", "content": f"{text}\n@emulator {directive} tag={uuid.uuid4().hex}"}]


async def stream_text(azure: AsyncAzureOpenAI, messages: Any, **kwargs: Any) -> tuple[str, str | None]:
    stream = await azure.chat.completions.create(model="chat", messages=messages, stream=True, **kwargs)
    text, reason = "", None
    async for chunk in stream:
        for choice in chunk.choices:
            text += choice.delta.content or ""
            reason = choice.finish_reason or reason
    return text, reason


async def read_into(received: list[str], azure: AsyncAzureOpenAI, messages: Any) -> None:
    """Stream a reply, keeping each content piece as it arrives (so a test can count them after a failure)."""
    stream = await azure.chat.completions.create(model="chat", messages=messages, stream=True)
    async for chunk in stream:
        received += [c.delta.content for c in chunk.choices if c.delta.content]


def tag_of(messages: Any) -> str:
    return str(messages[0]["content"].rsplit("tag=", 1)[1])


async def test_429_carries_retry_after(azure: AsyncAzureOpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as caught:
        await stream_text(azure, ask("fault=429 retry_after=7"))
    headers = caught.value.response.headers
    assert headers["retry-after"] == "7" and headers["retry-after-ms"] == "7000"
    assert caught.value.code == "429" and "retry after 7 seconds" in caught.value.message


async def test_quota_is_openais_insufficient_quota_429_without_retry_after(azure: AsyncAzureOpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as caught:
        await stream_text(azure, ask("fault=quota"))
    assert caught.value.code == "insufficient_quota" and "check your plan and billing" in caught.value.message
    assert "retry-after" not in caught.value.response.headers


async def test_no_usage_ends_the_stream_without_the_usage_chunk_it_was_asked_for(azure: AsyncAzureOpenAI) -> None:
    stream = await azure.chat.completions.create(
        model="chat", messages=ask("fault=no_usage"), stream=True, stream_options={"include_usage": True}
    )
    chunks = [chunk async for chunk in stream]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(chunk.usage is None for chunk in chunks)


async def test_429_on_first_attempts_only_lets_the_sdk_retry_succeed(base_url: str, emulator: Emulator) -> None:
    messages = ask("fault=429 retry_after=0.05 fail_times=2")
    client = AsyncAzureOpenAI(azure_endpoint=base_url, api_key=API_KEY, api_version=API_VERSION, max_retries=2)
    async with client:
        text, reason = await stream_text(client, messages)
    assert text and reason == "stop"
    log = emulator.log.recent(tag=tag_of(messages))
    assert [(r.attempt, r.status, r.fault) for r in log] == [(1, 429, "429"), (2, 429, "429"), (3, 200, None)]


@pytest.mark.parametrize(
    ("fault", "error", "status"),
    [
        ("401", openai.AuthenticationError, 401),
        ("500", openai.InternalServerError, 500),
        ("503", openai.InternalServerError, 503),
        ("prompt_filter", openai.BadRequestError, 400),
    ],
)
async def test_status_faults(
    azure: AsyncAzureOpenAI, fault: str, error: type[openai.APIStatusError], status: int
) -> None:
    with pytest.raises(error) as caught:
        await stream_text(azure, ask(f"fault={fault}"))
    assert caught.value.status_code == status


async def test_prompt_filter_body_is_azures(azure: AsyncAzureOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await azure.chat.completions.create(model="chat", messages=ask("fault=prompt_filter"))
    body: Any = caught.value.body
    assert caught.value.code == "content_filter" and caught.value.param == "prompt"
    assert body["innererror"]["code"] == "ResponsibleAIPolicyViolation"
    assert body["innererror"]["content_filter_result"]["violence"] == {"filtered": True, "severity": "medium"}


async def test_fault_by_deployment_name(base_url: str) -> None:
    client = AsyncAzureOpenAI(azure_endpoint=base_url, api_key=API_KEY, api_version=API_VERSION, max_retries=0)
    async with client:
        with pytest.raises(openai.InternalServerError):
            await client.chat.completions.create(model="fault-500", messages=[{"role": "user", "content": "x"}])


async def test_hang_times_out_the_client_and_the_log_sees_it_leave(base_url: str, emulator: Emulator) -> None:
    messages = ask("fault=hang")
    client = AsyncAzureOpenAI(
        azure_endpoint=base_url, api_key=API_KEY, api_version=API_VERSION, max_retries=0, timeout=0.3
    )
    async with client:
        with pytest.raises(openai.APITimeoutError):
            await stream_text(client, messages)
    left_at = time.time()
    record = await wait_for_end(emulator, tag_of(messages))
    assert record.status is None and record.disconnected and record.outcome == "disconnected"
    assert record.disconnected_at is not None and record.disconnected_at - left_at < 0.1


async def test_hang_ends_with_408_after_hang_s(http: httpx.AsyncClient) -> None:
    response = await http.post(
        f"/openai/deployments/chat/chat/completions?api-version={API_VERSION}",
        json={"messages": ask("fault=hang hang_s=0.05")},
    )
    assert response.status_code == 408 and response.json()["error"]["code"] == "Timeout"


async def test_drop_cuts_the_connection_after_n_tokens(azure: AsyncAzureOpenAI, emulator: Emulator) -> None:
    messages = ask("fault=drop after=4")
    received: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        await read_into(received, azure, messages)
    assert len(received) == 4
    record = await wait_for_end(emulator, tag_of(messages))
    assert record.outcome == "dropped" and record.tokens_sent == 4


async def test_content_filter_mid_stream(azure: AsyncAzureOpenAI) -> None:
    text, reason = await stream_text(azure, ask("fault=content_filter after=5"))
    assert reason == "content_filter" and text


async def test_sse_error_event_mid_stream(azure: AsyncAzureOpenAI) -> None:
    received: list[str] = []
    with pytest.raises(openai.APIError) as caught:
        await read_into(received, azure, ask("fault=sse_error after=2"))
    assert len(received) == 2
    assert "The server had an error" in caught.value.message


async def test_empty_answers_200_with_an_empty_body(azure: AsyncAzureOpenAI, emulator: Emulator) -> None:
    messages = ask("fault=empty")
    stream = await azure.chat.completions.create(model="chat", messages=messages, stream=True)
    assert [chunk async for chunk in stream] == []
    record = await wait_for_end(emulator, tag_of(messages))
    assert record.status == 200 and record.outcome == "completed" and record.tokens_sent == 0


async def test_no_finish_ends_with_done_and_no_finish_reason(azure: AsyncAzureOpenAI) -> None:
    stream = await azure.chat.completions.create(
        model="chat", messages=ask("fault=no_finish after=4"), stream=True, stream_options={"include_usage": True}
    )
    chunks = [chunk async for chunk in stream]
    contents = [choice.delta.content for chunk in chunks for choice in chunk.choices if choice.delta.content]
    assert len(contents) == 4
    assert all(choice.finish_reason is None for chunk in chunks for choice in chunk.choices)
    assert all(chunk.usage is None for chunk in chunks)


async def test_faults_apply_to_non_streaming_requests_too(azure: AsyncAzureOpenAI) -> None:
    filtered = await azure.chat.completions.create(model="chat", messages=ask("fault=content_filter after=3"))
    assert filtered.choices[0].finish_reason == "content_filter"
    with pytest.raises(openai.InternalServerError):
        await azure.chat.completions.create(model="chat", messages=ask("fault=sse_error"))
    with pytest.raises(openai.APIConnectionError):
        await azure.chat.completions.create(model="chat", messages=ask("fault=drop"))
    unfinished = await azure.chat.completions.create(model="chat", messages=ask("fault=no_finish after=3"))
    assert unfinished.choices[0].finish_reason is None and unfinished.choices[0].message.content


async def wait_for_end(emulator: Emulator, tag: str) -> Any:
    return await request_ended(emulator.log, tag)


@pytest.mark.parametrize(
    ("directive", "expected"),
    [
        ("reply=quote_bomb", ">" * 3000 + " The bottom of a deep quote."),
        ("reply=quote_bomb depth=5", ">>>>> The bottom of a deep quote."),
        ("reply=echo", "> Say  *exactly*  this\n"),
    ],
)
async def test_a_scripted_reply_is_streamed_exactly(azure: AsyncAzureOpenAI, directive: str, expected: str) -> None:
    text, reason = await stream_text(azure, ask(directive, "> Say  *exactly*  this"))
    assert (text, reason) == (expected, "stop")
