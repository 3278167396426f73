"""Semantic Kernel's AzureChatCompletion against the emulator: the api's real code path, end to end."""

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import openai
import pytest
from openai import AsyncAzureOpenAI, AsyncOpenAI
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai import FunctionChoiceBehavior
from semantic_kernel.connectors.ai.open_ai import (
    AzureChatCompletion,
    AzureChatPromptExecutionSettings,
    OpenAIChatCompletion,
    OpenAIChatPromptExecutionSettings,
)
from semantic_kernel.contents import (
    AuthorRole,
    ChatHistory,
    FunctionCallContent,
    FunctionResultContent,
    StreamingChatMessageContent,
)
from semantic_kernel.exceptions import ServiceResponseException
from semantic_kernel.functions import kernel_function

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


class Clock:
    """A small kernel plugin: what the api's built-in tools look like to Semantic Kernel."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    @kernel_function(name="current_time", description="The current time in a time zone.")
    def current_time(self, timezone: Annotated[str, "An IANA time zone"]) -> str:
        self.calls.append(timezone)
        return f"13:05 in {timezone}"


def tool_kernel() -> tuple[Kernel, Clock]:
    kernel, clock = Kernel(), Clock()
    kernel.add_plugin(clock, plugin_name="time")
    return kernel, clock


async def stream_with_tools(
    service: AzureChatCompletion | OpenAIChatCompletion, chat: ChatHistory, kernel: Kernel, attempts: int = 5
) -> tuple[str, list[Any]]:
    behaviour = FunctionChoiceBehavior.Auto(maximum_auto_invoke_attempts=attempts)
    settings = OpenAIChatPromptExecutionSettings(function_choice_behavior=behaviour)
    text, usages = "", []
    async for batch in service.get_streaming_chat_message_contents(chat, settings, kernel=kernel):
        for message in batch:
            if isinstance(message, StreamingChatMessageContent) and message.role == AuthorRole.ASSISTANT:
                text += str(message)
            if message.metadata.get("usage"):
                usages.append(message.metadata["usage"])
    return text, usages


async def test_auto_function_calling_streams_the_tool_and_its_quoted_result(service: AzureChatCompletion) -> None:
    kernel, clock = tool_kernel()
    chat = history('What time is it?\n@emulator call current_time {"timezone": "Europe/Berlin"}')
    text, usages = await stream_with_tools(service, chat, kernel)
    assert clock.calls == ["Europe/Berlin"]
    assert text == "Tool time-current_time said: 13:05 in Europe/Berlin"
    assert len(usages) == 2  # one usage chunk per round
    call, result = (item for message in chat.messages for item in message.items if not hasattr(item, "text"))
    assert isinstance(call, FunctionCallContent) and call.arguments == '{"timezone":"Europe/Berlin"}'
    assert isinstance(result, FunctionResultContent) and result.result == "13:05 in Europe/Berlin"


async def test_parallel_calls_run_every_tool_in_one_round(service: AzureChatCompletion) -> None:
    kernel, clock = tool_kernel()
    chat = history(
        "Berlin and Tokyo?\n"
        '@emulator call current_time {"timezone": "Europe/Berlin"}\n'
        '@emulator call current_time {"timezone": "Asia/Tokyo"}'
    )
    text, _ = await stream_with_tools(service, chat, kernel)
    assert sorted(clock.calls) == ["Asia/Tokyo", "Europe/Berlin"]
    assert text == (
        "Tool time-current_time said: 13:05 in Europe/Berlin\nTool time-current_time said: 13:05 in Asia/Tokyo"
    )


async def test_rounds_past_the_attempt_limit_end_without_text(service: AzureChatCompletion) -> None:
    """Semantic Kernel's streaming loop stops after its attempts and returns no final answer (its PR #13236):
    the emulator lets a client see that, and the client's own last call without tools gets the answer."""
    kernel, clock = tool_kernel()
    chat = history("@emulator call current_time\n@emulator rounds=5")
    text, _ = await stream_with_tools(service, chat, kernel, attempts=2)
    assert len(clock.calls) == 2 and clock.calls[0] == "emulator"
    assert text == ""


async def test_the_openai_connector_calls_tools_on_the_v1_route(base_url: str) -> None:
    client = AsyncOpenAI(base_url=f"{base_url}/v1", api_key=API_KEY, max_retries=0)
    async with client:
        service = OpenAIChatCompletion(ai_model_id=DEPLOYMENT, async_client=client)
        kernel, clock = tool_kernel()
        chat = history('@emulator call current_time {"timezone": "UTC"}')
        text, _ = await stream_with_tools(service, chat, kernel)
    assert clock.calls == ["UTC"] and text == "Tool time-current_time said: 13:05 in UTC"
