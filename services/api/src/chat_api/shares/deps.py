"""The share service, as a dependency; and who may create links."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.auth.tokens import Identity
from chat_api.http.app_state import StateKey
from chat_api.http.errors import ApiError
from chat_api.shares.service import ShareService

SHARES: StateKey[ShareService] = StateKey("shares")


async def _shares(request: Request) -> ShareService:
    return SHARES.of(request)


ShareServiceDep = Annotated[ShareService, Depends(_shares)]


def ensure_account(user: Identity) -> Identity:
    """A guest publishes nothing: a link is public, and a guest is anyone, made in a click and not accountable.
    (Called by the route once its body is read, so a bad body is a 422 for anyone.)"""
    if user.guest:
        raise ApiError(403, "sign_in_to_share", "Sign in to share a conversation.")
    return user
