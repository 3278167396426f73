"""Print the api's OpenAPI document, for the UI's generated types: `python -m chat_api.openapi_dump`.

Built from the default settings alone (no environment, no .env), so the document is the same on every machine;
the app is created, never started (no database, no model service).
"""

import json
import sys
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from chat_api.main import create_app
from chat_api.settings import Settings


class _DefaultSettings(Settings):
    """The defaults and what is passed in: the environment and .env are not read."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def openapi_document() -> dict[str, Any]:
    # The model service's address and name never reach the document; the app only needs them to exist.
    settings = _DefaultSettings(AZURE_OPENAI_ENDPOINT="http://model.invalid", AZURE_OPENAI_DEPLOYMENT="chat")
    return create_app(settings).openapi()


if __name__ == "__main__":
    json.dump(openapi_document(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
