"""The OpenAPI document, built once, with each area's additions (limits that come from settings) written in."""

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI

SchemaEdit = Callable[[dict[str, Any]], None]


def install_openapi(app: FastAPI, edits: Iterable[SchemaEdit]) -> None:
    build_default: Callable[[], dict[str, Any]] = app.openapi
    edits = list(edits)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build_default()  # FastAPI keeps it as app.openapi_schema: the edits are made once
        for edit in edits:
            edit(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
