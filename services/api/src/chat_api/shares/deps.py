"""The share service, as a dependency; and who may create links."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.auth.deps import CurrentUser
from chat_api.auth.tokens import Identity
from chat_api.http.app_state import StateKey
from chat_api.http.errors import ApiError
from chat_api.shares.service import ShareService

SHARES: StateKey[ShareService] = StateKey("shares")


async def _shares(request: Request) -> ShareService:
    return SHARES.of(request)


ShareServiceDep = Annotated[ShareService, Depends(_shares)]


async def _an_account(user: CurrentUser) -> Identity:
    """A guest publishes nothing: a link is public, and a guest is anyone, made in a click and not accountable."""
    if user.guest:
        raise ApiError(403, "sign_in_to_share", "Sign in to share a conversation.")
    return user


Sharer = Annotated[Identity, Depends(_an_account)]
