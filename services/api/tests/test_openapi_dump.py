"""The document the UI's types are generated from is the same on every machine: the defaults, never the
environment or a .env (else `make check` would call the committed types stale on one machine and not another)."""

from pathlib import Path
from typing import Any

import pytest

from chat_api.openapi_dump import openapi_document
from chat_api.settings import Settings


def _message_limit(document: dict[str, Any]) -> Any:
    return document["components"]["schemas"]["ChatRequest"]["properties"]["message"]["maxLength"]


def test_the_document_holds_the_default_limits_whatever_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    default = Settings.model_fields["MAX_MESSAGE_CHARS"].default
    monkeypatch.setenv("MAX_MESSAGE_CHARS", str(default + 1))
    (tmp_path / ".env").write_text(f"MAX_MESSAGE_CHARS={default + 2}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AZURE_OPENAI_ENDPOINT", raising=False)

    document = openapi_document()

    assert _message_limit(document) == default
    assert "/api/chat/stream" in document["paths"]
