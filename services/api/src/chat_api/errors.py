"""Every failure becomes an HTTP status and `{"error": {"code", "message"}}`: never a trace, key or URL."""

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import openai
from azure.core.exceptions import ClientAuthenticationError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

logger = logging.getLogger("chat_api.errors")


class ApiError(Exception):
    """A failure with a stable code from the contract, a status, and a message safe to show a user."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        return error_response(self.status, self.code, self.message, self.headers)


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers=dict(headers or {}))


# --- mapping upstream failures ----------------------------------------------------------------------------

QUOTA_EXHAUSTED_AFTER_S = 3600  # an Azure Retry-After this long means the quota is gone, not a burst


def upstream_error(exc: BaseException) -> ApiError:
    """What the client is told when the upstream failed. `exc` is the openai error (or wraps one)."""
    cause = _openai_cause(exc)
    match cause:
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
        case openai.BadRequestError() if cause.code == "context_length_exceeded":
            return ApiError(400, "invalid_request", "The conversation is too long for the model. Start anew.")
        case openai.APITimeoutError():
            return ApiError(504, "upstream_timeout", "The model service did not answer in time. Retry.")
        case openai.APIConnectionError():
            return ApiError(502, "upstream_unavailable", "The model service could not be reached. Retry.")
        case openai.APIStatusError() if cause.status_code in (502, 503, 504):
            return ApiError(502, "upstream_unavailable", "The model service is unavailable. Please retry.")
        case _:
            return ApiError(502, "upstream_error", "The model service failed to answer. Please retry.")


def is_retryable(exc: BaseException) -> bool:
    cause = _openai_cause(exc)
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


def _openai_cause(exc: BaseException) -> BaseException:
    """SK wraps pre-stream errors (the openai error is `__cause__`); mid-stream ones arrive raw. With Entra ID,
    a credential that cannot get a token raises azure-identity's error instead."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, openai.OpenAIError | ClientAuthenticationError):
            return seen
        seen = seen.__cause__
    return exc


# --- FastAPI's own errors, in the envelope ------------------------------------------------------------------


def describe_validation(errors: Sequence[Any]) -> str:
    """`field.path: reason` for the first error, e.g. `history[2].role: Input should be 'user', ...`."""
    first = errors[0]
    location = [part for part in first.get("loc", ()) if part != "body"]
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location).lstrip(".")
    message = str(first.get("msg", "is invalid")).removeprefix("Value error, ")
    if first.get("type") == "json_invalid":
        return "The body is not valid JSON."
    if first.get("type") == "missing" and not path:
        return "The body is missing: send a JSON object."
    return f"{path}: {message}" if path else message


async def _on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    status = 400 if errors and errors[0].get("type") == "json_invalid" else 422  # unreadable vs. invalid
    return error_response(status, "invalid_request", describe_validation(errors))


_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


async def _on_http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "invalid_request" if exc.status_code < 500 else "internal_error")
    # 400 here is FastAPI giving up on a body json.loads could not take (nested too deep, a 5,000-digit number).
    message = {
        400: "The body is not valid JSON.",
        404: "No such route.",
        405: "Method not allowed on this route.",
    }.get(exc.status_code, str(exc.detail))
    return error_response(exc.status_code, code, message, exc.headers)


async def _on_api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "Something went wrong on our side. Please retry.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(Exception, _on_unexpected)
