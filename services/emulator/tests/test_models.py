"""Reasoning deployments and context windows: the bodies the service sends, and what the servers report."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson
import pytest
from openai import AsyncAzureOpenAI, AsyncOpenAI, BadRequestError

from emulator.app import create_app
from emulator.models import REASONING_TOKENS
from emulator.testing import serve

from .conftest import API_KEY, API_VERSION, chat_url, make_settings


@pytest.fixture(scope="module")
def reasoning_url() -> Iterator[str]:
    with serve(create_app(make_settings(reasoning_deployments="o4-mini, gpt-5"))) as url:
        yield url


@pytest.fixture
async def http(reasoning_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=reasoning_url, headers={"api-key": API_KEY}) as client:
        yield client


def ask(**options: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": "Think first"}], **options}


async def test_a_reasoning_deployment_refuses_max_tokens_with_azures_body(http: httpx.AsyncClient) -> None:
    response = await http.post(chat_url("o4-mini"), json=ask(max_tokens=100))
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "unsupported_parameter",
            "message": "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
            "type": "invalid_request_error",
            "param": "max_tokens",
        }
    }


@pytest.mark.parametrize("name", ["temperature", "top_p"])
async def test_a_reasoning_deployment_refuses_sampling_other_than_1(http: httpx.AsyncClient, name: str) -> None:
    response = await http.post(chat_url("gpt-5"), json=ask(**{name: 0.2}))
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "unsupported_value",
        "message": f"Unsupported value: '{name}' does not support 0.2 with this model. "
        "Only the default (1) value is supported.",
        "type": "invalid_request_error",
        "param": name,
    }
    assert (await http.post(chat_url("gpt-5"), json=ask(**{name: 1}))).status_code == 200


async def test_a_reasoning_deployment_reports_its_reasoning_tokens(reasoning_url: str) -> None:
    async with AsyncAzureOpenAI(
        azure_endpoint=reasoning_url, api_key=API_KEY, api_version=API_VERSION, max_retries=0
    ) as client:
        stream = await client.chat.completions.create(
            model="o4-mini",
            messages=[{"role": "user", "content": "Think first\n@emulator tokens=5"}],
            max_completion_tokens=200,
            reasoning_effort="high",
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    usage = chunks[-1].usage
    assert usage is not None and usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == REASONING_TOKENS["high"]
    assert usage.completion_tokens == 5 + REASONING_TOKENS["high"]


async def test_reasoning_comes_out_of_max_completion_tokens(http: httpx.AsyncClient) -> None:
    body = ask(max_completion_tokens=REASONING_TOKENS["medium"] + 3)
    reply = (await http.post(chat_url("o4-mini"), json=body)).json()
    assert reply["choices"][0]["finish_reason"] == "length"
    assert reply["usage"]["completion_tokens"] == REASONING_TOKENS["medium"] + 3
    assert reply["usage"]["completion_tokens_details"]["reasoning_tokens"] == REASONING_TOKENS["medium"]


async def test_another_deployment_refuses_reasoning_effort(http: httpx.AsyncClient) -> None:
    response = await http.post(chat_url("chat"), json=ask(reasoning_effort="low", max_tokens=10))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_parameter"
    assert response.json()["error"]["param"] == "reasoning_effort"


async def test_a_refused_request_is_logged_with_its_options(reasoning_url: str, http: httpx.AsyncClient) -> None:
    await http.post(chat_url("o4-mini"), json=ask(max_tokens=7, temperature=0.5))
    async with httpx.AsyncClient(base_url=reasoning_url) as plain:
        last = (await plain.get("/_emulator/requests", params={"limit": 1})).json()["requests"][0]
    assert (last["status"], last["options"]) == (400, {"max_tokens": 7, "temperature": 0.5, "stream": False})


# --- context windows -------------------------------------------------------------------------------------------

LONG = "word " * 300  # about 300 tokens


@pytest.mark.parametrize(
    ("server", "status", "expected"),
    [
        ("azure", 400, {"code": "context_length_exceeded", "param": "messages", "type": "invalid_request_error"}),
        ("vllm", 400, {"type": "BadRequestError", "code": 400}),
        ("llama.cpp", 400, {"type": "exceed_context_size_error", "n_ctx": 256}),
    ],
)
async def test_a_prompt_past_the_window_is_refused_as_each_server_does(
    server: str, status: int, expected: dict[str, Any]
) -> None:
    with serve(create_app(make_settings(context_window=256, imitates=server))) as url:
        async with AsyncOpenAI(base_url=f"{url}/v1", api_key=API_KEY, max_retries=0) as client:
            with pytest.raises(BadRequestError) as refused:
                await client.chat.completions.create(model="m", messages=[{"role": "user", "content": LONG}])
            fits = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "short"}])
    assert refused.value.status_code == status
    body = refused.value.body
    assert isinstance(body, dict) and expected.items() <= body.items()
    assert "256" in str(body["message"])
    assert fits.choices[0].message.content


async def test_ollama_takes_a_long_prompt() -> None:
    with serve(create_app(make_settings(context_window=256, imitates="ollama"))) as url:
        async with AsyncOpenAI(base_url=f"{url}/v1", api_key=API_KEY, max_retries=0) as client:
            reply = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": LONG}])
    assert reply.choices[0].message.content


@pytest.mark.parametrize(
    ("server", "method", "path", "window_at"),
    [
        ("vllm", "GET", "/v1/models", ("data", 0, "max_model_len")),
        ("llama.cpp", "GET", "/props", ("default_generation_settings", "n_ctx")),
        ("ollama", "POST", "/api/show", ("parameters",)),
    ],
)
async def test_each_server_reports_its_window_where_it_does(
    server: str, method: str, path: str, window_at: tuple[Any, ...]
) -> None:
    with serve(create_app(make_settings(context_window=4096, imitates=server, deployments="llama3"))) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            response = await http.request(method, path, json={"model": "llama3"} if method == "POST" else None)
            listed = (await http.get("/v1/models")).json()["data"]
    assert response.status_code == 200
    value: Any = response.json()
    for key in window_at:
        value = value[key]
    assert value == 4096 or value.split() == ["num_ctx", "4096"]
    assert [entry["id"] for entry in listed] == ["llama3"]  # each of them lists its model; vLLM with its window
    assert ("max_model_len" in listed[0]) == (server == "vllm")


async def test_azure_has_no_window_endpoint(http: httpx.AsyncClient) -> None:
    for method, path in (("GET", "/props"), ("GET", "/v1/models"), ("POST", "/api/show")):
        assert (await http.request(method, path, content=orjson.dumps({"model": "x"}))).status_code == 404
