"""How the upstream client is built, and how its failures are named (no network: pure construction)."""

import json
from typing import Any

import httpx2
import openai
import pytest
from azure.core.exceptions import ClientAuthenticationError
from semantic_kernel import Kernel
from semantic_kernel.connectors.ai import FunctionChoiceBehavior
from semantic_kernel.connectors.ai.open_ai import (
    AzureChatCompletion,
    AzureChatPromptExecutionSettings,
    OpenAIChatCompletion,
    OpenAIChatPromptExecutionSettings,
)
from semantic_kernel.connectors.ai.open_ai.services.open_ai_chat_completion_base import OpenAIChatCompletionBase
from semantic_kernel.contents import ChatHistory
from semantic_kernel.exceptions import ServiceResponseException

from chat_api.chat.prompt_settings import AzureSettings, OpenAISettings
from chat_api.chat.upstream import open_upstream
from chat_api.chat.upstream_errors import is_retryable, retry_after_seconds, upstream_error
from chat_api.tools.catalog import builtin_plugin

from .conftest import API_KEY, api_settings


async def test_without_a_key_the_client_uses_an_entra_id_token_provider() -> None:
    settings = api_settings("https://example.openai.azure.com", AZURE_OPENAI_API_KEY="")
    assert settings.uses_entra_id
    async with open_upstream(settings) as upstream:
        client = upstream.chat.client
        assert isinstance(client, openai.AsyncAzureOpenAI)
        assert client._azure_ad_token_provider is not None  # no token is fetched until a request needs one
        assert API_KEY not in client.api_key  # the SDK keeps a "<missing API key>" placeholder


def status_error(status: int, headers: dict[str, str] | None = None, code: str | None = None) -> openai.APIStatusError:
    request = httpx2.Request("POST", "https://example.openai.azure.com/openai/deployments/x/chat/completions")
    response = httpx2.Response(status, headers=headers, request=request)
    error_class = {400: openai.BadRequestError, 401: openai.AuthenticationError, 429: openai.RateLimitError}
    cls = error_class.get(status, openai.InternalServerError)
    return cls("failed", response=response, body={"code": code} if code else None)


def wrapped(cause: BaseException) -> ServiceResponseException:
    """As Semantic Kernel raises pre-stream errors: its own exception, the real one as `__cause__`."""
    try:
        raise ServiceResponseException("service failed") from cause
    except ServiceResponseException as exc:
        return exc


@pytest.mark.parametrize(
    ("cause", "status", "code"),
    [
        (ClientAuthenticationError("no credential could get a token"), 502, "upstream_auth_failed"),
        (status_error(401), 502, "upstream_auth_failed"),
        (status_error(429, {"retry-after": "5"}), 429, "upstream_rate_limited"),
        (status_error(400, code="content_filter"), 400, "content_filtered"),
        (status_error(400, code="context_length_exceeded"), 400, "invalid_request"),
        (status_error(500), 502, "upstream_error"),
        (status_error(503), 502, "upstream_unavailable"),
        (RuntimeError("not from the upstream at all"), 502, "upstream_error"),
    ],
)
def test_failures_are_named_whether_wrapped_or_raw(cause: BaseException, status: int, code: str) -> None:
    for exc in (cause, wrapped(cause)):
        error = upstream_error(exc)
        assert (error.status, error.code) == (status, code)
        assert "example.openai.azure.com" not in error.message


def test_retry_after_prefers_milliseconds_and_ignores_garbage() -> None:
    assert retry_after_seconds(status_error(429, {"retry-after": "7", "retry-after-ms": "1500"})) == 1.5
    assert retry_after_seconds(status_error(429, {"retry-after": "soon"})) is None
    assert retry_after_seconds(RuntimeError()) is None
    assert is_retryable(wrapped(status_error(429))) and is_retryable(status_error(502))
    assert not is_retryable(status_error(400)) and not is_retryable(ClientAuthenticationError("x"))


@pytest.mark.parametrize("provider", ["azure", "openai"])
async def test_the_messages_reach_the_model_in_the_body_the_sdk_would_build(provider: str) -> None:
    """Our settings hand the SDK the messages as they are (its per-message type walk skipped): the request body
    must be the one Semantic Kernel's own settings make."""
    bodies: list[dict[str, Any]] = []

    def capture(request: httpx2.Request) -> httpx2.Response:
        bodies.append(json.loads(request.content))
        return httpx2.Response(400, json={"error": {"message": "captured", "code": "captured"}})

    http_client = httpx2.AsyncClient(transport=httpx2.MockTransport(capture))
    chat: OpenAIChatCompletionBase
    kinds: tuple[type[OpenAIChatPromptExecutionSettings], ...]
    if provider == "azure":
        azure = openai.AsyncAzureOpenAI(
            azure_endpoint="https://example.openai.azure.com", api_key="k", api_version="2024-10-21",
            http_client=http_client, max_retries=0,
        )  # fmt: skip
        chat, kinds = AzureChatCompletion(deployment_name="chat", async_client=azure), (
            AzureChatPromptExecutionSettings, AzureSettings)  # fmt: skip
    else:
        client = openai.AsyncOpenAI(api_key="k", http_client=http_client, max_retries=0)
        chat, kinds = OpenAIChatCompletion(ai_model_id="chat", async_client=client), (
            OpenAIChatPromptExecutionSettings, OpenAISettings)  # fmt: skip
    history = ChatHistory(system_message="Be brief.\nÇa va ? 🚀")
    for number in range(30):
        history.add_user_message(f'question {number}: こんにちは "quoted" \\ back\x7f')
        history.add_assistant_message(f"answer {number}\n```py\nprint('x')\n```")
    kernel = Kernel()
    kernel.add_plugin(builtin_plugin())
    for kind in kinds:
        for offered in (False, True):
            settings = kind(max_tokens=50, temperature=0.2)
            if offered:  # the built-in tools' definitions go unwalked too
                settings.function_choice_behavior = FunctionChoiceBehavior.Auto(auto_invoke=False)
            with pytest.raises(ServiceResponseException):
                async for _ in chat.get_streaming_chat_message_contents(history, settings, kernel=kernel):
                    pass
    stock, stock_with_tools, ours, ours_with_tools = bodies
    assert ours == stock and ours_with_tools == stock_with_tools
    assert len(ours["messages"]) == 61 and "tools" not in ours
    assert len(ours_with_tools["tools"]) == len(builtin_plugin().functions) and ours_with_tools["tool_choice"] == "auto"
    walked = kinds[1](messages=ours["messages"], tools=ours_with_tools["tools"], tool_choice="auto")
    prepared = walked.prepare_settings_dict()
    assert prepared["messages"] == [] and "tools" not in prepared and "tool_choice" not in prepared  # nothing to walk
