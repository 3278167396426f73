"""/api/auth/*: the ways in (guest, register (a guest keeps its chats), sign in with a password or with the
organisation's provider), refresh, sign out (here or everywhere), change password; /api/me: who is signed in,
and deleting the account."""

from fastapi import APIRouter, Depends, Request, Response

from chat_api.auth.cookies import COOKIE, clear_session_cookie, set_session_cookie
from chat_api.auth.deps import AuthServiceDep, CurrentUser, MaybeUser
from chat_api.auth.oidc.routes import router as oidc_router
from chat_api.auth.schemas import (
    AccountDeletion,
    AuthMethods,
    Credentials,
    OidcMethod,
    PasswordChange,
    SessionView,
    UserView,
)
from chat_api.auth.service import RefreshRaced, SignedIn
from chat_api.generations.deps import GenerationsDep
from chat_api.http.deps import ClientAddress, SettingsDep, require_json
from chat_api.http.errors import ApiError, error_docs
from chat_api.limits.deps import LimitsDep
from chat_api.settings import Settings
from chat_api.storage.models import User

AUTH_ERRORS = error_docs(
    {
        401: "No session, a wrong password, or a token that is not valid (`unauthorized`).",
        409: "The email (or a look-alike: case, a +tag, Gmail dots) has an account, or you are signed in to one "
        "(`conflict`).",
        422: "A field is missing or malformed, or the password is a commonly used one or the email "
        "(`invalid_request`).",
        429: "Too many sign-in attempts (`rate_limited`): wait `Retry-After` seconds (the wait grows).",
    }
)

router = APIRouter(prefix="/api/auth", tags=["auth"], responses=AUTH_ERRORS)
router.include_router(oidc_router)


def user_view(user: User, settings: Settings) -> UserView:
    tier = None if user.is_guest else settings.tiers.named(user.tier)
    return UserView(
        id=user.id,
        email=user.email,
        guest=user.is_guest,
        name=user.email or user.display_name,
        sso=user.oidc_subject is not None,
        tier=tier.name if tier else None,
        admin=tier.admin if tier else False,
    )


def _keep(response: Response, signed_in: SignedIn, settings: Settings) -> SessionView:
    set_session_cookie(response, signed_in.refresh_token, settings)
    return SessionView(
        access_token=signed_in.access_token, expires_in=signed_in.expires_in, user=user_view(signed_in.user, settings)
    )


def _forget(response: Response, settings: Settings) -> None:
    clear_session_cookie(response, settings)


async def guests_allowed(settings: SettingsDep) -> None:
    if not settings.AUTH_GUESTS:
        raise ApiError(403, "guests_disabled", "Guest sessions are turned off here: sign in to chat.")


async def passwords_allowed(settings: SettingsDep) -> None:
    if not settings.AUTH_PASSWORDS:
        raise ApiError(
            403, "passwords_disabled", "Accounts with a password are turned off here: sign in with your organisation."
        )


GUESTS_OFF = error_docs({403: "Guest sessions are turned off (`guests_disabled`)."})
PASSWORDS_OFF = error_docs({403: "Accounts with a password are turned off (`passwords_disabled`)."})


@router.get("/methods", summary="The ways in this deployment offers (for the sign-in page)")
async def methods(settings: SettingsDep) -> AuthMethods:
    oidc = OidcMethod(name=settings.OIDC_PROVIDER_NAME) if settings.oidc_enabled else None
    return AuthMethods(guests=settings.AUTH_GUESTS, passwords=settings.AUTH_PASSWORDS, oidc=oidc)


@router.post(
    "/guest",
    summary="Start a guest session: chat at once, no sign-up",
    status_code=201,
    dependencies=[Depends(guests_allowed)],
    responses={
        **error_docs({429: "Too many guest sessions from this address today (`rate_limited`); see `Retry-After`."}),
        **GUESTS_OFF,
    },
)
async def guest(
    response: Response, auth: AuthServiceDep, settings: SettingsDep, limits: LimitsDep, address: ClientAddress
) -> SessionView:
    await limits.admit_new_guest(address)
    return _keep(response, await auth.start_guest(), settings)


@router.post(
    "/register",
    summary="Create an account; a signed-in guest becomes it and keeps its conversations",
    status_code=201,
    dependencies=[Depends(passwords_allowed), Depends(require_json)],
    responses=PASSWORDS_OFF,
)
async def register(
    body: Credentials, response: Response, auth: AuthServiceDep, settings: SettingsDep, current: MaybeUser
) -> SessionView:
    return _keep(response, await auth.register(current, body.email, body.password), settings)


@router.post(
    "/login",
    summary="Sign in with email and password",
    dependencies=[Depends(passwords_allowed), Depends(require_json)],
    responses=PASSWORDS_OFF,
)
async def login(
    body: Credentials, address: ClientAddress, response: Response, auth: AuthServiceDep, settings: SettingsDep
) -> SessionView:
    return _keep(response, await auth.sign_in(body.email, body.password, address), settings)


@router.post("/refresh", summary="A new access token, from the session cookie (which rotates)")
async def refresh(request: Request, response: Response, auth: AuthServiceDep, settings: SettingsDep) -> SessionView:
    try:
        signed_in = await auth.refresh(request.cookies.get(COOKIE))
    except RefreshRaced:
        raise  # another tab refreshed first: the cookie it set is the one to keep
    except ApiError as error:
        cleared = Response()
        _forget(cleared, settings)
        headers = {**error.headers, "Set-Cookie": cleared.headers["set-cookie"]}
        raise ApiError(error.status, error.code, error.message, headers) from None
    return _keep(response, signed_in, settings)


@router.post("/logout", summary="End this session", status_code=204)
async def logout(request: Request, auth: AuthServiceDep, settings: SettingsDep) -> Response:
    await auth.sign_out(request.cookies.get(COOKIE))
    response = Response(status_code=204)
    _forget(response, settings)
    return response


@router.post("/logout-everywhere", summary="End every session of this user", status_code=204)
async def logout_everywhere(user: CurrentUser, auth: AuthServiceDep, settings: SettingsDep) -> Response:
    await auth.sign_out_everywhere(user)
    response = Response(status_code=204)
    _forget(response, settings)
    return response


@router.post(
    "/password",
    summary="Change the password; every other session ends",
    dependencies=[Depends(passwords_allowed), Depends(require_json)],
    responses=error_docs(
        {403: "The current password is wrong (`forbidden`), or passwords are turned off (`passwords_disabled`)."}
    ),
)
async def change_password(
    body: PasswordChange, user: CurrentUser, response: Response, auth: AuthServiceDep, settings: SettingsDep
) -> SessionView:
    signed_in = await auth.change_password(user, body.current_password, body.new_password)
    return _keep(response, signed_in, settings)


me_router = APIRouter(prefix="/api", tags=["auth"])


@me_router.get("/me", summary="Who is signed in", responses=error_docs({401: "No valid access token."}))
async def me(user: CurrentUser, auth: AuthServiceDep, settings: SettingsDep) -> UserView:
    return user_view(await auth.account(user), settings)


@me_router.delete(
    "/me",
    summary="Delete my account: its conversations, messages, summaries and sessions go at once and for good",
    status_code=204,
    dependencies=[Depends(require_json)],
    responses=error_docs(
        {
            401: "No valid access token (`unauthorized`).",
            403: "The password is wrong (`forbidden`).",
            422: "An account with a password needs it (`invalid_request`).",
        }
    ),
)
async def delete_me(
    body: AccountDeletion,
    user: CurrentUser,
    auth: AuthServiceDep,
    generations: GenerationsDep,
    limits: LimitsDep,
    settings: SettingsDep,
) -> Response:
    await auth.confirm_deletion(user, body.password)
    await generations.stop_all_of(user)  # the model stops writing what nobody will keep
    await auth.delete_account(user)
    await limits.forget(user)
    response = Response(status_code=204)
    _forget(response, settings)
    return response
