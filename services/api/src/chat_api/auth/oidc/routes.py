"""GET /api/auth/oidc/start and /callback: browser navigations, so they answer with redirects. A sign-in that
fails ends on the UI with `?sign_in_error=<code>` (auth/oidc/errors.py lists them), which it explains; the
reason goes to the log, never to the browser."""

import contextlib
import logging
import re
import secrets
from typing import Annotated, Final

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse

from chat_api.auth.cookies import COOKIE, set_session_cookie
from chat_api.auth.deps import AuthServiceDep
from chat_api.auth.oidc.errors import ProviderUnavailable, RefusalCode, SignInRefused
from chat_api.auth.oidc.return_to import RETURN_TO_PATTERN, safe_return_to
from chat_api.auth.oidc.service import OidcSignIns
from chat_api.http.deps import SettingsDep
from chat_api.http.errors import ApiError, error_docs
from chat_api.settings import Settings

logger = logging.getLogger("chat_api.auth")

# A random value in a cookie of its own binds a sign-in to the browser that started it (its hash is kept with
# the sign-in). Lax, so that the provider's redirect back (a top-level GET from another site) carries it.
BROWSER_COOKIE: Final = "chat_oidc"
BROWSER_COOKIE_PATH: Final = "/api/auth/oidc"
_BROWSER_VALUE: Final = re.compile(r"^[A-Za-z0-9_-]{43}$")
_CODE: Final = 2048  # the longest code taken (Entra ID's are about 1 to 2 kB)
_STATE: Final = 512  # ours are 43 characters
_ERROR: Final = 256  # an OAuth error code

router = APIRouter(prefix="/oidc", tags=["auth"])


def _sign_ins(auth: AuthServiceDep) -> OidcSignIns:
    if auth.oidc is None:
        raise ApiError(404, "oidc_disabled", "Single sign-on is not configured here (OIDC_ISSUER is unset).")
    return auth.oidc


def _redirect(location: str) -> RedirectResponse:
    response = RedirectResponse(location, status_code=302)
    response.headers["Cache-Control"] = "no-store"
    return response


def _refused(code: RefusalCode, settings: Settings) -> RedirectResponse:
    response = _redirect(f"/?sign_in_error={code}")
    response.delete_cookie(BROWSER_COOKIE, path=BROWSER_COOKIE_PATH, secure=settings.AUTH_COOKIE_SECURE, httponly=True)
    return response


@router.get(
    "/start",
    summary="Sign in with the organisation's provider: redirects the browser there",
    status_code=302,
    response_class=Response,
    responses={
        302: {
            "description": "To the provider's sign-in page (or, when it cannot be reached, back to `/?sign_in_error=`)."
        },
        **error_docs(
            {
                404: "Single sign-on is not configured (`oidc_disabled`).",
                422: "`return_to` is not a path of this site (`invalid_request`).",
            }
        ),
    },
)
async def start(
    request: Request,
    auth: AuthServiceDep,
    settings: SettingsDep,
    return_to: Annotated[
        str | None,
        Query(
            max_length=2000,
            description="A path of this site to come back to, e.g. /c/<id>.",
            json_schema_extra={"pattern": RETURN_TO_PATTERN},  # (checked by safe_return_to, in words)
        ),
    ] = None,
) -> Response:
    sign_ins = _sign_ins(auth)
    target = safe_return_to(return_to)
    browser = request.cookies.get(BROWSER_COOKIE, "")
    if not _BROWSER_VALUE.fullmatch(browser):  # else kept: two tabs signing in at once both finish
        browser = secrets.token_urlsafe(32)
    redirect_uri = str(settings.OIDC_REDIRECT_URI or request.url_for("oidc_callback"))
    try:
        # The refresh cookie is sent here (a same-site navigation), not to the callback (cross-site): a guest
        # is recognised now, and its conversations come along when the sign-in finishes.
        url = await sign_ins.start(target, redirect_uri, browser, request.cookies.get(COOKIE))
    except ProviderUnavailable as error:
        logger.warning("sign-in with the provider could not start: %s", error)
        return _refused("provider_unavailable", settings)
    response = _redirect(url)
    response.set_cookie(
        BROWSER_COOKIE,
        browser,
        max_age=settings.OIDC_SIGN_IN_TIMEOUT_S,
        path=BROWSER_COOKIE_PATH,
        secure=settings.AUTH_COOKIE_SECURE,
        httponly=True,
        samesite="lax",
    )
    return response


@router.get(
    "/callback",
    name="oidc_callback",
    summary="Where the provider sends the browser back: starts the app's session, then redirects to the UI",
    status_code=302,
    response_class=Response,
    responses={
        302: {
            "description": "To `return_to`, signed in (the session cookie is set); or to `/?sign_in_error=<code>`: "
            "denied, state_mismatch, expired, code_refused, token_invalid, account_disabled, provider_unavailable."
        },
        **error_docs({404: "Single sign-on is not configured (`oidc_disabled`)."}),
    },
)
async def callback(
    request: Request,
    auth: AuthServiceDep,
    settings: SettingsDep,
    code: Annotated[str | None, Query(max_length=_CODE)] = None,
    state: Annotated[str | None, Query(max_length=_STATE)] = None,
    error: Annotated[str | None, Query(max_length=_ERROR)] = None,
) -> Response:
    sign_ins = _sign_ins(auth)
    browser = request.cookies.get(BROWSER_COOKIE)
    try:
        if error is not None:
            with contextlib.suppress(SignInRefused):
                await sign_ins.flows.take(state, browser)  # over either way
            raise SignInRefused("denied", f"the provider answered {error[:100]!r}")
        signed_in, return_to = await sign_ins.finish(code, state, browser)
    except SignInRefused as refused:
        logger.warning("sign-in with the provider refused (%s): %s", refused.code, refused.reason)
        return _refused(refused.code, settings)
    except ProviderUnavailable as unavailable:
        logger.warning("sign-in with the provider failed: %s", unavailable)
        return _refused("provider_unavailable", settings)
    response = _redirect(return_to)
    set_session_cookie(response, signed_in.refresh_token, settings)
    response.delete_cookie(BROWSER_COOKIE, path=BROWSER_COOKIE_PATH, secure=settings.AUTH_COOKIE_SECURE, httponly=True)
    return response
