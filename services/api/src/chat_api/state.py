"""What the lifespan creates once per worker and every request shares, typed."""

from typing import TypedDict, cast

from starlette.requests import Request

from chat_api.auth.service import AuthService
from chat_api.chat.service import ChatService
from chat_api.conversations.service import ConversationService
from chat_api.generations.service import Generations
from chat_api.generations.turns import TurnPlanner
from chat_api.limits.service import Limits
from chat_api.memory.service import Memory
from chat_api.settings import Settings
from chat_api.storage.engine import Sessions


class AppState(TypedDict):
    settings: Settings
    chat: ChatService
    sessions: Sessions
    auth: AuthService
    conversations: ConversationService
    planner: TurnPlanner
    generations: Generations
    limits: Limits
    memory: Memory


def app_state(request: Request) -> AppState:
    """The lifespan's state as a request sees it (Starlette copies it into each request's scope)."""
    return cast(AppState, request.scope["state"])
