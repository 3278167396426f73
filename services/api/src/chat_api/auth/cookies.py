"""The session cookie: the refresh token, httpOnly, sent by the browser to the auth routes only."""

from fastapi import Response

from chat_api.settings import Settings

COOKIE = "chat_refresh"
COOKIE_PATH = "/api/auth"  # the browser sends the refresh token to the auth routes only


def set_session_cookie(response: Response, refresh_token: str, settings: Settings) -> None:
    response.set_cookie(
        COOKIE,
        refresh_token,
        max_age=settings.REFRESH_TOKEN_TTL_DAYS * 86_400,
        path=COOKIE_PATH,
        secure=settings.AUTH_COOKIE_SECURE,
        httponly=True,
        samesite="strict",
    )
    response.headers["Cache-Control"] = "no-store"


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE, path=COOKIE_PATH, secure=settings.AUTH_COOKIE_SECURE, httponly=True, samesite="strict"
    )
