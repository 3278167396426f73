"""Every failure becomes an HTTP status and `{"error": {"code", "message"}}`: never a trace, key or URL."""

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy import exc as db
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Match

from chat_api.storage.outage import is_unreachable
from chat_api.telemetry.traces import current_trace_id

logger = logging.getLogger("chat_api.errors")


class ErrorDetail(BaseModel):
    code: str = Field(examples=["invalid_request"])
    message: str = Field(examples=["message: must not be empty"])
    trace_id: str | None = Field(
        default=None,
        description="On a 5xx with telemetry on: the request's trace, to quote in an error report.",
        examples=["4bf92f3577b34da6a3ce929d0e0e4736"],
    )


class ErrorEnvelope(BaseModel):
    error: ErrorDetail


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
    detail = {"code": code, "message": message}
    if status >= 500 and (trace_id := current_trace_id()):
        detail["trace_id"] = trace_id  # a failure on our side: the report that quotes it leads to its trace
    return JSONResponse({"error": detail}, status, headers=dict(headers or {}))


def database_unavailable() -> ApiError:
    return ApiError(
        503,
        "database_unavailable",
        "Conversations cannot be read or saved right now. Please retry in a few seconds.",
        {"Retry-After": "2"},
    )


def error_docs(descriptions: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for error statuses, each with the envelope as its body."""
    return {status: {"model": ErrorEnvelope, "description": text} for status, text in descriptions.items()}


# Statuses any route may answer (some from nginx in front), each in the envelope: documented on every route.
COMMON_ERRORS = error_docs(
    {
        400: "The body is not valid JSON (`invalid_request`).",
        404: "No such route or resource (`not_found`).",
        405: "Method not allowed on this route (`method_not_allowed`); `Allow` lists the methods.",
        413: "The body is too large (`payload_too_large`).",
        414: "The request line is over 16 kB (`uri_too_long`, from nginx).",
        415: "The body is not JSON (`unsupported_media_type`).",
        422: "A field is missing, malformed or over a limit (`invalid_request`); the message names it.",
        429: "Too many requests from this client (`rate_limited`); see `Retry-After`.",
        500: "A bug on our side (`internal_error`), logged with the request id.",
        502: "The model service failed before the first token (`upstream_*`).",
        503: "The service is restarting or unavailable (`upstream_unavailable`), or its database is out of reach "
        "(`database_unavailable`); see `Retry-After`.",
        504: "The model service did not answer in time (`upstream_timeout`).",
    }
)


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


def _allowed_methods(request: Request) -> str:
    """Every method some route takes at this path (Starlette's own `Allow` names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE and isinstance(route, BaseRoute):
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        exc.headers = {**(exc.headers or {}), "Allow": _allowed_methods(request)}
    code = _HTTP_CODES.get(exc.status_code, "invalid_request" if exc.status_code < 500 else "internal_error")
    # 400 here is FastAPI giving up on a body json.loads could not take (nested too deep, a 5,000-digit number),
    # or on a multipart body (an upload) its parser could not.
    multipart = request.headers.get("content-type", "").startswith("multipart/")
    message = {
        400: "The upload could not be read: a malformed body, or a part's header (its file name) too long."
        if multipart
        else "The body is not valid JSON.",
        404: "No such route.",
        405: "Method not allowed on this route.",
    }.get(exc.status_code, str(exc.detail))
    return error_response(exc.status_code, code, message, exc.headers)


async def _on_api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    """The database out of reach (restarting, say) is a 503 to retry, not a bug: one line, no traceback."""
    if not is_unreachable(exc):
        return await _on_unexpected(request, exc)
    logger.warning(
        "the database is out of reach on %s %s: %s",
        request.method,
        request.url.path,
        type(getattr(exc, "orig", None) or exc).__name__,
    )
    return database_unavailable().response()


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "Something went wrong on our side. Please retry.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(db.DBAPIError, _on_database_error)
    app.add_exception_handler(db.DisconnectionError, _on_database_error)
    app.add_exception_handler(Exception, _on_unexpected)
