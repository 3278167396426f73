"""The OpenAPI document, with the limits the server enforces from its settings written into the request schema.

The limits are settings (see `routes.chat.check_limits`), so the pydantic models cannot carry them; without
this, the schema would call valid what the server refuses, and clients and fuzzers would be misled.
"""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from chat_api.settings import Settings

# What Python's str.isspace() (the route's blank check) counts as white space, written out: regex engines
# disagree on \s (JavaScript's leaves out U+001C..U+001F, for one).
WHITE_SPACE = "\\t-\\r\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NO_NUL = "^[^\\u0000]*$"
NOT_BLANK_NO_NUL = f"^[^\\u0000]*[^\\u0000{WHITE_SPACE}][^\\u0000]*$"


def document_limits(schema: dict[str, Any], settings: Settings) -> None:
    models = schema["components"]["schemas"]
    request = models["ChatRequest"]["properties"]
    request["message"].update(
        maxLength=settings.MAX_MESSAGE_CHARS,
        pattern=NOT_BLANK_NO_NUL,
        description="The user's message: not blank, no NUL characters.",
    )
    request["history"].update(
        maxItems=settings.MAX_HISTORY_MESSAGES,
        description=f"Earlier turns, oldest first; their contents total at most {settings.MAX_HISTORY_CHARS} "
        "characters.",
    )
    models["Message"]["properties"]["content"].update(maxLength=settings.MAX_HISTORY_CHARS, pattern=NO_NUL)
    for branch in models["Options"]["properties"]["max_tokens"]["anyOf"]:
        if branch.get("type") == "integer":
            branch["maximum"] = settings.MAX_OUTPUT_TOKENS


def install_openapi(app: FastAPI, settings: Settings) -> None:
    build_default: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build_default()  # FastAPI keeps it as app.openapi_schema: the limits are written once
        document_limits(schema, settings)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
