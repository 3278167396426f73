"""Where the browser goes after signing in: a path of this site, never another site (no open redirect)."""

from typing import Final
from urllib.parse import urlsplit

from chat_api.http.errors import ApiError

HOME: Final = "/"
MAX_LENGTH: Final = 2000
# What safe_return_to takes, for OpenAPI (an ECMA pattern with lookaheads, which the validator's engine lacks).
RETURN_TO_PATTERN: Final = r"^(?:/(?![/\\])(?!api(?:[/?#]|$))[^\x00-\x20\x7f\\]*)?$"  # (empty: home)


def safe_return_to(value: str | None) -> str:
    """`value` when it is a path of this site's UI (`/c/<id>`), `/` when none is given; else 422.

    Refused: anything a browser could read as another host (`//evil`, `/\\evil`, `https://evil`), white space
    and control characters (browsers drop some, which turns `/\\t/evil` into `//evil`), and the api's paths."""
    if not value:
        return HOME
    parts = urlsplit(value)
    if (
        len(value) > MAX_LENGTH
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(character) <= 0x20 or ord(character) == 0x7F for character in value)
        or parts.scheme
        or parts.netloc
        or parts.path == "/api"
        or parts.path.startswith("/api/")
    ):
        raise ApiError(422, "invalid_request", "return_to: must be a path of this site, such as /c/<id>")
    return value
