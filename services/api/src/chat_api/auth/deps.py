"""The signed-in user, from the access token: its signature, then whether it was revoked (a look-up in a cache
this process keeps current; see auth.revocation)."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.auth.service import AuthService
from chat_api.auth.tokens import Identity, unauthorized
from chat_api.http.app_state import StateKey

AUTH: StateKey[AuthService] = StateKey("auth")


async def _auth_service(request: Request) -> AuthService:
    return AUTH.of(request)


async def current_identity(request: Request) -> Identity:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("Sign in, or continue as a guest: this needs an access token.")
    return await AUTH.of(request).authenticate(token.strip())


async def optional_identity(request: Request) -> Identity | None:
    if "authorization" not in request.headers:
        return None
    return await current_identity(request)


AuthServiceDep = Annotated[AuthService, Depends(_auth_service)]
CurrentUser = Annotated[Identity, Depends(current_identity)]
MaybeUser = Annotated[Identity | None, Depends(optional_identity)]
