"""The `since` filter of the votes' list and export: a date and time with its zone."""

from typing import Annotated

from fastapi import Query
from pydantic import AwareDatetime, BeforeValidator


def _written_out(value: object) -> object:
    """A date and time as OpenAPI's `date-time` says (2026-12-06T10:00:00Z), not a number of seconds, which
    pydantic would otherwise take."""
    if isinstance(value, str) and not (value[:4].isdigit() and value[4:5] == "-"):
        raise ValueError("a date and time with its zone, such as 2026-12-06T10:00:00Z")
    return value


Since = Annotated[
    AwareDatetime | None,
    BeforeValidator(_written_out),
    Query(description="Only votes given or changed since (a date and time with its zone)."),
]
