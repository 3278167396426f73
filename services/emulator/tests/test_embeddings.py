"""Embeddings as the openai SDK and Semantic Kernel's embedding services ask for them, faults included."""

import base64
import struct
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import numpy as np
import openai
import pytest
from openai import AsyncAzureOpenAI, AsyncOpenAI
from semantic_kernel.connectors.ai.open_ai import (
    AzureTextEmbedding,
    OpenAIEmbeddingPromptExecutionSettings,
    OpenAITextEmbedding,
)

from emulator import embeddings
from emulator.app import Emulator
from emulator.testing import request_ended

from .conftest import API_KEY, API_VERSION

EMBEDDINGS = "embed"
URL = f"/openai/deployments/{EMBEDDINGS}/embeddings?api-version={API_VERSION}"
PASSAGES = [
    "The Eiffel Tower stands in Paris and was finished in 1889.",
    "Photosynthesis turns sunlight, water and carbon dioxide into sugar inside leaves.",
    "The Rhine flows from the Swiss Alps through Germany to the North Sea.",
    "Paris is the capital of France and sits on the Seine.",
]


def cosine(a: Any, b: Any) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture
async def azure_embedding(base_url: str) -> AsyncIterator[AzureTextEmbedding]:
    client = AsyncAzureOpenAI(azure_endpoint=base_url, api_key=API_KEY, api_version=API_VERSION, max_retries=0)
    async with client:
        yield AzureTextEmbedding(deployment_name=EMBEDDINGS, async_client=client)


async def test_semantic_kernel_retrieval_follows_word_overlap(azure_embedding: AzureTextEmbedding) -> None:
    vectors = await azure_embedding.generate_embeddings([*PASSAGES, "What is the capital of France?"])
    *passages, question = vectors
    ranked = sorted(range(len(passages)), key=lambda i: -cosine(question, passages[i]))
    assert ranked[0] == 3  # the passage that shares "capital" and "france"
    assert cosine(question, passages[1]) < 0.1  # nothing in common
    assert np.allclose([np.linalg.norm(v) for v in vectors], 1.0, atol=1e-5)


async def test_the_same_text_gets_the_same_vector_and_similarity_grows_with_overlap() -> None:
    base = embeddings.embed("red apples and green pears in a wooden bowl", 256)
    assert list(base) == list(embeddings.embed("red apples and green pears in a wooden bowl", 256))
    similarities = [
        cosine(base, embeddings.embed(text, 256))
        for text in ("red apples green pears wooden", "red apples green", "red", "blue sky")
    ]
    assert similarities == sorted(similarities, reverse=True) and similarities[-1] < 0.2


async def test_the_sdk_default_is_base64_and_decodes_to_the_float_answer(
    azure: AsyncAzureOpenAI, http: httpx.AsyncClient
) -> None:
    as_base64 = await azure.embeddings.create(model=EMBEDDINGS, input="hello world")
    floats = (await http.post(URL, json={"input": "hello world", "encoding_format": "float"})).json()
    raw = (await http.post(URL, json={"input": "hello world", "encoding_format": "base64"})).json()
    encoded = raw["data"][0]["embedding"]
    assert isinstance(encoded, str)
    decoded = struct.unpack(f"<{len(base64.b64decode(encoded)) // 4}f", base64.b64decode(encoded))
    assert list(decoded) == floats["data"][0]["embedding"] == as_base64.data[0].embedding
    assert len(decoded) == 1536
    assert floats["object"] == "list" and floats["model"] == "text-embedding-3-small"
    assert floats["usage"] == {"prompt_tokens": 2, "total_tokens": 2}


async def test_dimensions_lists_and_token_arrays(azure: AsyncAzureOpenAI) -> None:
    reply = await azure.embeddings.create(model=EMBEDDINGS, input=["one", "two", "three"], dimensions=64)
    assert [item.index for item in reply.data] == [0, 1, 2] and {len(item.embedding) for item in reply.data} == {64}
    tokens = await azure.embeddings.create(model=EMBEDDINGS, input=[[1, 2, 3], [4, 5]], encoding_format="float")
    assert len(tokens.data) == 2 and tokens.usage.prompt_tokens == 5
    single = await azure.embeddings.create(model=EMBEDDINGS, input=[7, 8, 9])
    assert len(single.data) == 1 and single.usage.prompt_tokens == 3


async def test_semantic_kernel_openai_connector_on_the_v1_route(base_url: str) -> None:
    async with AsyncOpenAI(base_url=f"{base_url}/v1", api_key=API_KEY, max_retries=0) as client:
        service = OpenAITextEmbedding(ai_model_id="text-embedding-3-small", async_client=client)
        settings = OpenAIEmbeddingPromptExecutionSettings(dimensions=256)
        vectors = await service.generate_embeddings(["alpha beta", "alpha gamma"], settings)
    assert vectors.shape == (2, 256) and 0.2 < cosine(vectors[0], vectors[1]) < 0.8


def with_directive(directive: str, text: str = "a passage") -> tuple[str, str]:
    tag = uuid.uuid4().hex
    return f"{text}\n@emulator {directive} tag={tag}", tag


async def test_429_carries_retry_after_and_a_retry_succeeds(base_url: str, emulator: Emulator) -> None:
    text, tag = with_directive("fault=429 retry_after=0.05 fail_times=1")
    async with AsyncAzureOpenAI(
        azure_endpoint=base_url, api_key=API_KEY, api_version=API_VERSION, max_retries=1
    ) as client:
        reply = await client.embeddings.create(model=EMBEDDINGS, input=["first", text])
    assert len(reply.data) == 2
    assert [(r.status, r.fault) for r in emulator.log.recent(tag=tag)] == [(429, "429"), (200, None)]


async def test_faults_as_the_sdk_sees_them(azure: AsyncAzureOpenAI, base_url: str) -> None:
    with pytest.raises(openai.RateLimitError) as limited:
        await azure.embeddings.create(model=EMBEDDINGS, input=with_directive("fault=429 retry_after=30")[0])
    assert limited.value.response.headers["retry-after"] == "30"
    with pytest.raises(openai.InternalServerError):
        await azure.embeddings.create(model=EMBEDDINGS, input=with_directive("fault=500")[0])
    with pytest.raises(openai.APIConnectionError):
        await azure.embeddings.create(model=EMBEDDINGS, input=with_directive("fault=drop")[0])
    async with AsyncAzureOpenAI(
        azure_endpoint=base_url, api_key=API_KEY, api_version=API_VERSION, max_retries=0
    ) as by_model:  # no deployment of its own: `model` names it
        with pytest.raises(openai.InternalServerError) as unavailable:
            await by_model.embeddings.create(model="fault-503", input="by deployment name")
    assert unavailable.value.status_code == 503


async def test_slow_embeddings_wait_ttft_ms(azure: AsyncAzureOpenAI, emulator: Emulator) -> None:
    text, tag = with_directive("ttft_ms=300")
    started = time.perf_counter()
    await azure.embeddings.create(model=EMBEDDINGS, input=text)
    assert time.perf_counter() - started >= 0.3
    record = await request_ended(emulator.log, tag)
    assert record.operation == "embeddings" and record.inputs == 1 and record.route == "azure"


async def test_a_directive_does_not_change_the_vector(azure: AsyncAzureOpenAI) -> None:
    plain = await azure.embeddings.create(model=EMBEDDINGS, input="a passage\n", encoding_format="float")
    directed = await azure.embeddings.create(model=EMBEDDINGS, input=with_directive("ttft_ms=0")[0])
    assert plain.data[0].embedding == directed.data[0].embedding


@pytest.mark.parametrize(
    ("body", "param", "message"),
    [
        ({"input": ""}, None, "'$.input' is invalid"),
        ({"input": ["ok", ""]}, None, "'$.input' is invalid"),
        ({"input": []}, None, "'$.input' is invalid"),
        ({"input": "x", "dimensions": 4000}, "dimensions", "more than the model's 1536"),
        ({"input": "x", "encoding_format": "int8"}, "encoding_format", "Input should be"),
        ({"input": "x", "bogus": 1}, None, "Unrecognized request argument supplied: bogus"),
        ({"input": ["x"] * 2049}, "input", "Too many inputs"),
        ({"input": "word " * 9000}, None, "maximum context length is 8192 tokens"),
        ({"input": "x\n@emulator fault=content_filter"}, None, "does not apply to embeddings"),
    ],
)
async def test_bad_embedding_requests_are_400(
    http: httpx.AsyncClient, body: dict[str, Any], param: str | None, message: str
) -> None:
    response = await http.post(URL, json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param and message in error["message"]


async def test_embeddings_need_the_key_and_an_api_version(http: httpx.AsyncClient) -> None:
    assert (await http.post(URL, json={"input": "x"}, headers={"api-key": "wrong"})).status_code == 401
    missing_version = f"/openai/deployments/{EMBEDDINGS}/embeddings"
    assert (await http.post(missing_version, json={"input": "x"})).status_code == 404
