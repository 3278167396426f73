"""Semantic Kernel's AzureChatCompletion against the emulator: the api's real code path, end to end."""

import uuid
from collections.abc import AsyncIterator

import openai
import pytest
from openai import AsyncAzureOpenAI
from semantic_kernel.connectors.ai.open_ai import AzureChatCompletion, AzureChatPromptExecutionSettings
from semantic_kernel.contents import ChatHistory
from semantic_kernel.exceptions import ServiceResponseException

from .conftest import API_KEY, API_VERSION, DEPLOYMENT


@pytest.fixture
async def service(base_url: str) -> AsyncIterator[AzureChatCompletion]:
    client = AsyncAzureOpenAI(azure_endpoint=base_url, api_key=API_KEY, api_version=API_VERSION, max_retries=0)
    async with client:
        yield AzureChatCompletion(deployment_name=DEPLOYMENT, async_client=client)


def history(text: str) -> ChatHistory:
    chat = ChatHistory(system_message="You are terse.")
    chat.add_user_message(f"{text}\n@emulator tag={uuid.uuid4().hex}")
    return chat


async def test_stream_text_finish_reason_and_usage(service: AzureChatCompletion) -> None:
    settings = AzureChatPromptExecutionSettings(max_tokens=500, temperature=0.2, top_p=1.0)
    text, last = "", None
    async for batch in service.get_streaming_chat_message_contents(history("kernel"), settings):
        for message in batch:
            text += str(message)
            last = message
    assert text.startswith("## kernel")
    assert last is not None and last.metadata["usage"].completion_tokens > 0
    assert str(last.finish_reason) in {"FinishReason.STOP", "stop"} or last.finish_reason is None


async def test_length_finish_reason(service: AzureChatCompletion) -> None:
    settings = AzureChatPromptExecutionSettings(max_tokens=3)
    reasons = [
        message.finish_reason
        async for batch in service.get_streaming_chat_message_contents(history("short"), settings)
        for message in batch
        if message.finish_reason
    ]
    assert [str(reason.value) for reason in reasons if reason is not None] == ["length"]


async def test_pre_stream_error_is_a_service_exception_with_the_openai_cause(
    service: AzureChatCompletion,
) -> None:
    with pytest.raises(ServiceResponseException) as caught:
        async for _ in service.get_streaming_chat_message_contents(
            history("@emulator fault=429 retry_after=3"), AzureChatPromptExecutionSettings()
        ):
            pass
    assert isinstance(caught.value.__cause__, openai.RateLimitError)


async def test_mid_stream_drop_surfaces_as_the_raw_openai_error(service: AzureChatCompletion) -> None:
    received: list[str] = []

    async def read() -> None:
        settings = AzureChatPromptExecutionSettings()
        async for batch in service.get_streaming_chat_message_contents(
            history("@emulator fault=drop after=3"), settings
        ):
            received.extend(str(message) for message in batch if str(message))

    with pytest.raises(openai.APIConnectionError):
        await read()
    assert len(received) == 3
