"""The conversation routes' limits that come from settings, written into the OpenAPI document."""

from typing import Any

from chat_api.chat.openapi import WHITE_SPACE
from chat_api.settings import Settings

TEXT = "[^\\u0000\\ud800-\\udfff]"  # storable: no NUL, no lone surrogate


def document_limits(schema: dict[str, Any], settings: Settings) -> None:
    content = schema["components"]["schemas"]["NewMessage"]["properties"]["content"]
    content.update(
        maxLength=settings.MAX_MESSAGE_CHARS,
        pattern=f"^{TEXT}*[^\\u0000\\ud800-\\udfff{WHITE_SPACE}]{TEXT}*$",
        description="What the user says: not blank, no NUL characters.",
    )
