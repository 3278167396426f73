"""What the client is told when the upstream failed, and whether a failure is worth retrying."""

import math

import openai
from azure.core.exceptions import ClientAuthenticationError

from chat_api.chat.context_window import is_context_exceeded
from chat_api.http.errors import ApiError

QUOTA_EXHAUSTED_AFTER_S = 3600  # an Azure Retry-After this long means the quota is gone, not a burst


class UpstreamIncomplete(Exception):
    """The model's stream ended without a finish reason (an empty 200, or `[DONE]` cut short, as llama.cpp's
    servers do): the answer is not finished, whatever it holds. Not retried: the same prompt would likely meet
    the same end (a prompt over the server's context), or cut another user's answer (a server of one slot)."""


def upstream_error(exc: BaseException) -> ApiError:
    """The envelope for an upstream failure. `exc` is the openai error (or wraps one)."""
    cause = _openai_cause(exc)
    match cause:
        case UpstreamIncomplete():
            return ApiError(502, "upstream_incomplete", "The model's answer ended without finishing. Retry.")
        case openai.RateLimitError() if _out_of_credit(cause):
            message = "The model account's quota is used up (insufficient_quota): its operator must add credit."
            return ApiError(429, "upstream_rate_limited", message)
        case openai.RateLimitError():
            retry_after = retry_after_seconds(cause)
            headers = {"Retry-After": str(math.ceil(retry_after))} if retry_after is not None else {}
            if retry_after is not None and retry_after >= QUOTA_EXHAUSTED_AFTER_S:
                hours = retry_after / 3600
                message = f"The model's quota is used up; it renews in about {hours:.0f} hours."
            else:
                message = "The model is receiving too many requests. Please retry shortly."
            return ApiError(429, "upstream_rate_limited", message, headers)
        case openai.AuthenticationError() | openai.PermissionDeniedError() | ClientAuthenticationError():
            return ApiError(502, "upstream_auth_failed", "The server could not sign in to the model service.")
        case openai.BadRequestError() if cause.code == "content_filter":
            return ApiError(400, "content_filtered", "The content filter blocked this message. Rephrase it.")
        case openai.APIStatusError() if is_context_exceeded(cause):
            return ApiError(400, "invalid_request", "The conversation is too long for the model. Start anew.")
        case openai.APITimeoutError():
            return ApiError(504, "upstream_timeout", "The model service did not answer in time. Retry.")
        case openai.APIConnectionError():
            message = "The model service could not be reached (is it running, at the configured address?). Retry."
            return ApiError(502, "upstream_unavailable", message)
        case openai.APIStatusError() if cause.status_code in (502, 503, 504):
            return ApiError(502, "upstream_unavailable", "The model service is unavailable. Please retry.")
        case _:
            return ApiError(502, "upstream_error", "The model service failed to answer. Please retry.")


def context_exceeded(exc: BaseException) -> openai.APIStatusError | None:
    """The server's refusal of a prompt longer than its window, if `exc` is one."""
    cause = _openai_cause(exc)
    return cause if isinstance(cause, openai.APIStatusError) and is_context_exceeded(cause) else None


def is_retryable(exc: BaseException) -> bool:
    cause = _openai_cause(exc)
    if isinstance(cause, openai.RateLimitError) and _out_of_credit(cause):
        return False
    if isinstance(cause, openai.APIStatusError):
        return cause.status_code == 429 or cause.status_code >= 500
    return isinstance(cause, openai.APIConnectionError) and not isinstance(cause, openai.APITimeoutError)


def retry_after_seconds(exc: BaseException) -> float | None:
    cause = _openai_cause(exc)
    if not isinstance(cause, openai.APIStatusError):
        return None
    headers = cause.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            value = float(headers[name]) * scale
        except (KeyError, ValueError):
            continue
        if math.isfinite(value) and value >= 0:
            return value
    return None


def _out_of_credit(error: openai.RateLimitError) -> bool:
    """OpenAI's 429 for an account without credit: waiting does not help, unlike a rate limit."""
    return error.code == "insufficient_quota"


def _openai_cause(exc: BaseException) -> BaseException:
    """SK wraps pre-stream errors (the openai error is `__cause__`); mid-stream ones arrive raw. With Entra ID,
    a credential that cannot get a token raises azure-identity's error instead."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, openai.OpenAIError | ClientAuthenticationError):
            return seen
        seen = seen.__cause__
    return exc
