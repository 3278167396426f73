"""The share service, as a dependency: built per request from what the lifespan made (it holds nothing); and
who may create links."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.auth.tokens import Identity
from chat_api.http.errors import ApiError
from chat_api.shares.service import ShareService
from chat_api.state import app_state


async def _shares(request: Request) -> ShareService:
    return ShareService(app_state(request)["sessions"])


ShareServiceDep = Annotated[ShareService, Depends(_shares)]


def ensure_account(user: Identity) -> Identity:
    """A guest publishes nothing: a link is public, and a guest is anyone, made in a click and not accountable.
    (Called by the route once its body is read, so a bad body is a 422 for anyone.)"""
    if user.guest:
        raise ApiError(403, "sign_in_to_share", "Sign in to share a conversation.")
    return user
