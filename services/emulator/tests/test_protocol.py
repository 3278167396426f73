"""The emulator as a protocol peer: raw wire format, and what unmodified openai SDK clients see."""

import time
from typing import Any

import httpx
import orjson
import pytest
from openai import AsyncAzureOpenAI, AsyncOpenAI, AuthenticationError, BadRequestError, NotFoundError

from emulator.app import create_app
from emulator.testing import serve
from emulator.tokens import count_tokens

from .conftest import API_KEY, API_VERSION, chat_url, make_settings


def sse_events(body: str) -> list[str]:
    return [block.removeprefix("data: ") for block in body.split("\n\n") if block]


async def test_stream_follows_azure_chunk_order(http: httpx.AsyncClient) -> None:
    request = {
        "messages": [{"role": "user", "content": "order"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    response = await http.post(chat_url(), json=request)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    events = sse_events(response.text)
    assert events[-1] == "[DONE]"
    chunks = [orjson.loads(event) for event in events[:-1]]

    first, role, *content, finish, usage = chunks
    assert first["choices"] == [] and first["prompt_filter_results"][0]["prompt_index"] == 0
    assert role["choices"][0]["delta"] == {"content": "", "refusal": None, "role": "assistant"}
    for chunk in content:
        assert chunk["object"] == "chat.completion.chunk"
        assert set(chunk) == {"choices", "created", "id", "model", "object", "system_fingerprint", "usage"}
        (choice,) = chunk["choices"]
        assert set(choice) == {"content_filter_results", "delta", "finish_reason", "index", "logprobs"}
        assert choice["content_filter_results"]["hate"] == {"filtered": False, "severity": "safe"}
        assert choice["finish_reason"] is None and chunk["usage"] is None
    assert finish["choices"][0]["finish_reason"] == "stop" and finish["choices"][0]["delta"] == {}
    assert usage["choices"] == []
    assert usage["usage"]["completion_tokens"] == len(content)
    assert usage["usage"]["total_tokens"] == usage["usage"]["prompt_tokens"] + len(content)
    assert len({chunk["id"] for chunk in chunks[1:]}) == 1


async def test_no_usage_chunk_unless_asked(http: httpx.AsyncClient) -> None:
    request = {"messages": [{"role": "user", "content": "no usage"}], "stream": True}
    events = sse_events((await http.post(chat_url(), json=request)).text)
    assert "usage" not in orjson.loads(events[-2])
    assert orjson.loads(events[-2])["choices"][0]["finish_reason"] == "stop"


async def collect(stream: Any) -> tuple[str, list[str | None], Any]:
    text, reasons, usage = "", [], None
    async for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            text += choice.delta.content or ""
            reasons.append(choice.finish_reason)
    return text, reasons, usage


async def test_azure_sdk_streams_the_same_reply_as_non_streaming(azure: AsyncAzureOpenAI) -> None:
    messages: Any = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Explain SSE"}]
    stream = await azure.chat.completions.create(
        model="chat", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    text, reasons, usage = await collect(stream)
    whole = await azure.chat.completions.create(model="chat", messages=messages)

    assert text == whole.choices[0].message.content
    assert text.startswith("## Explain SSE")
    assert reasons[-1] == "stop" and whole.choices[0].finish_reason == "stop"
    assert usage is not None and usage.completion_tokens == count_tokens(text)
    assert usage == whole.usage


async def test_openai_sdk_on_the_v1_route(openai_client: AsyncOpenAI) -> None:
    stream = await openai_client.chat.completions.create(
        model="chat",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text, reasons, usage = await collect(stream)
    assert text.startswith("## hi") and reasons[-1] == "stop" and usage is not None


@pytest.mark.parametrize("limit", ["max_tokens", "max_completion_tokens"])
async def test_token_limit_cuts_with_finish_reason_length(azure: AsyncAzureOpenAI, limit: str) -> None:
    limits: Any = {limit: 7}
    stream = await azure.chat.completions.create(
        model="chat",
        messages=[{"role": "user", "content": "long"}],
        stream=True,
        stream_options={"include_usage": True},
        **limits,
    )
    text, reasons, usage = await collect(stream)
    assert reasons[-1] == "length" and usage is not None and usage.completion_tokens == 7
    assert count_tokens(text) == 7


async def test_wrong_key_is_401_with_azure_body(base_url: str) -> None:
    client = AsyncAzureOpenAI(azure_endpoint=base_url, api_key="wrong", api_version=API_VERSION, max_retries=0)
    async with client:
        with pytest.raises(AuthenticationError) as caught:
            await client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "x"}])
    assert caught.value.status_code == 401
    assert caught.value.code == "401" and "Access denied" in caught.value.message


async def test_bearer_token_is_accepted(base_url: str) -> None:
    async with AsyncAzureOpenAI(azure_endpoint=base_url, azure_ad_token=API_KEY, api_version=API_VERSION) as client:
        reply = await client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "x"}])
    assert reply.choices[0].message.content


async def test_missing_auth_is_401(http: httpx.AsyncClient) -> None:
    response = await http.post(chat_url(), json={}, headers={"api-key": ""})
    assert response.status_code == 401 and response.json()["error"]["code"] == "401"


async def test_unknown_deployment_is_404_when_a_list_is_configured() -> None:
    with serve(create_app(make_settings(deployments="gpt-4o, chat"))) as url:
        client = AsyncAzureOpenAI(azure_endpoint=url, api_key=API_KEY, api_version=API_VERSION, max_retries=0)
        async with client:
            await client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "x"}])
            with pytest.raises(NotFoundError) as caught:
                await client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])
    assert caught.value.code == "DeploymentNotFound"


@pytest.mark.parametrize(
    ("body", "param", "message"),
    [
        (b"{not json", None, "We could not parse the JSON body"),
        (b"[]", None, "Input should be an object"),
        (b"{}", "messages", "Invalid value for 'messages': Field required"),
        (b'{"messages": []}', "messages", "List should have at least 1 item"),
        (b'{"messages": [{"role": "robot", "content": "x"}]}', "messages[0].role", "Input should be"),
        (
            b'{"messages": [{"role": "user", "content": "x"}], "temperature": 3}',
            "temperature",
            "less than or equal",
        ),
        (b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}', "max_tokens", "greater than"),
        (
            b'{"messages": [{"role": "user", "content": "x"}], "bogus": 1}',
            None,
            "Unrecognized request argument",
        ),
        (
            b'{"messages": [{"role": "user", "content": "x"}], "stream_options": {}}',
            None,
            "only allowed when",
        ),
        (
            b'{"messages": [{"role": "user", "content": "@emulator fault=nope"}]}',
            None,
            "unknown emulator fault",
        ),
        (
            b'{"messages": [{"role": "user", "content": "@emulator tokens=401"}]}',
            None,
            "tokens=401 is over the limit of 400",
        ),
    ],
)
async def test_bad_requests_are_400_in_azure_shape(
    http: httpx.AsyncClient, body: bytes, param: str | None, message: str
) -> None:
    response = await http.post(chat_url(), content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert message in error["message"]


async def test_sdk_sees_validation_errors_as_bad_request(azure: AsyncAzureOpenAI) -> None:
    with pytest.raises(BadRequestError) as caught:
        await azure.chat.completions.create(model="chat", messages=[{"role": "user", "content": "x"}], top_p=5)
    assert caught.value.param == "top_p"


async def test_missing_api_version_and_unknown_paths_are_404(http: httpx.AsyncClient) -> None:
    response = await http.post("/openai/deployments/chat/chat/completions", json={})
    assert response.status_code == 404 and response.json()["error"]["message"] == "Resource not found"
    assert (await http.get("/nowhere")).status_code == 404


async def test_content_parts_are_read_as_text(http: httpx.AsyncClient) -> None:
    request = {"messages": [{"role": "user", "content": [{"type": "text", "text": "parts"}]}]}
    response = await http.post(chat_url(), json=request)
    assert response.json()["choices"][0]["message"]["content"].startswith("## parts")


async def test_health(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}


async def test_a_huge_reply_length_is_refused_at_once(http: httpx.AsyncClient) -> None:
    """A directive can come from anyone who can send a chat message: it must not stall the emulator."""
    body = {"messages": [{"role": "user", "content": "hi\n@emulator tokens=4000000"}], "stream": True}
    started = time.perf_counter()
    response = await http.post(chat_url(), json=body)
    assert time.perf_counter() - started < 0.5
    assert response.status_code == 400
    assert "over the limit of 400" in response.json()["error"]["message"]
