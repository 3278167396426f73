"""What the lifespan creates once per worker and every request shares, typed."""

from typing import TypedDict, cast

from starlette.requests import Request

from chat_api.chat.service import ChatService
from chat_api.settings import Settings


class AppState(TypedDict):
    settings: Settings
    chat: ChatService


def app_state(request: Request) -> AppState:
    """The lifespan's state as a request sees it (Starlette copies it into each request's scope)."""
    return cast(AppState, request.scope["state"])
