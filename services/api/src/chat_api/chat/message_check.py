"""The one check of a message and its options against the limits the settings set (the schema cannot carry
them): the stateless routes' `message`, a conversation's `content`."""

from collections.abc import Iterable

from chat_api.chat.capabilities import check_options
from chat_api.chat.model_entries import ModelEntry
from chat_api.chat.schemas import Options
from chat_api.http.errors import ApiError
from chat_api.settings import Settings


def check_message(
    field: str,
    text: str,
    options: Options,
    settings: Settings,
    history: Iterable[tuple[str, str]] = (),
    model: ModelEntry | None = None,
) -> None:
    """422 naming the first field that breaks a limit; `history`: more (field, text) pairs, checked for NUL.
    The options are checked against `model` (unset: the default)."""

    def fail(name: str, reason: str) -> ApiError:
        return ApiError(422, "invalid_request", f"{name}: {reason}")

    if not text.strip():
        raise fail(field, "must not be blank")
    if len(text) > settings.MAX_MESSAGE_CHARS:
        raise fail(field, f"must be at most {settings.MAX_MESSAGE_CHARS} characters")
    for name, each in ((field, text), *history):
        if "\x00" in each:
            raise fail(name, "must not contain NUL characters")
    most = (model.max_output_tokens if model is not None else None) or settings.MAX_OUTPUT_TOKENS
    if options.max_tokens is not None and options.max_tokens > most:
        raise fail("options.max_tokens", f"must be at most {most}")
    check_options(options, settings, model)
