"""How the upstream client is built, and how its failures are named (no network: pure construction)."""

import httpx2
import openai
import pytest
from azure.core.exceptions import ClientAuthenticationError
from semantic_kernel.exceptions import ServiceResponseException

from chat_api.chat.upstream import open_upstream
from chat_api.chat.upstream_errors import is_retryable, retry_after_seconds, upstream_error

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
