"""`Annotated` dependency aliases every area shares, so routes read like prose.

Every dependency is `async def`: FastAPI runs a plain `def` dependency in its threadpool, a hop that costs
every request time on its way to the first token (bench/ measured it).
"""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.http.app_state import StateKey
from chat_api.http.errors import ApiError
from chat_api.settings import Settings

SETTINGS: StateKey[Settings] = StateKey("settings")


async def _settings(request: Request) -> Settings:
    return SETTINGS.of(request)


async def require_json(request: Request) -> None:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send the body as JSON (Content-Type: application/json).")


async def _client_address(request: Request) -> str:
    """The client's address, as every per-address limit counts it: the connecting peer's, or, when that peer
    is a trusted proxy (FORWARDED_ALLOW_IPS, applied by the server before the app), the address it names."""
    return request.client.host if request.client else "unknown"


SettingsDep = Annotated[Settings, Depends(_settings)]
ClientAddress = Annotated[str, Depends(_client_address)]
