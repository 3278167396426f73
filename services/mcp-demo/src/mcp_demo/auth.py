"""Who is calling: the api's short-lived per-user token (HS256 JWT), verified on every HTTP request.

The verified token becomes the SDK's ``AuthenticatedUser`` in the ASGI scope, so the SDK binds each MCP session to
the user who opened it (another user's token on that session gets 404), and each tool call reads its caller from
the request that carried it.
"""

from dataclasses import dataclass

import jwt
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

LEEWAY_S = 5  # clock skew between the api and this server
REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "jti"]


@dataclass(frozen=True)
class Caller:
    sub: str | None  # None: anonymous (the server runs without auth)
    name: str | None = None


ANONYMOUS = Caller(sub=None)


class TokenRefused(Exception):
    """A token this server does not accept; the message is safe to send to the client."""


class TokenVerifier:
    def __init__(self, secret: str, audience: str, issuer: str) -> None:
        self._secret = secret
        self._audience = audience
        self._issuer = issuer

    def verify(self, authorization: str | None) -> AuthenticatedUser:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRefused("missing bearer token")
        try:
            claims = jwt.decode(
                token.strip(),
                self._secret,
                algorithms=["HS256"],
                audience=self._audience,
                issuer=self._issuer,
                leeway=LEEWAY_S,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenRefused("token expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise TokenRefused(f"token is not for this server (audience must be {self._audience!r})") from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenRefused(f"token issuer must be {self._issuer!r}") from exc
        except jwt.InvalidSignatureError as exc:
            raise TokenRefused("token signature does not verify") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise TokenRefused(f"token lacks the {exc.claim!r} claim") from exc
        except jwt.InvalidTokenError as exc:
            raise TokenRefused("malformed or invalid token") from exc
        name = claims.get("name")
        if not isinstance(claims["sub"], str) or not claims["sub"] or not isinstance(name, str | None):
            raise TokenRefused("token claims `sub` and `name` must be strings")
        return AuthenticatedUser(
            AccessToken(
                token=token,
                client_id=claims["iss"],
                scopes=[],
                expires_at=int(claims["exp"]),
                subject=claims["sub"],
                claims={"iss": claims["iss"], "name": name, "jti": claims["jti"]},
            )
        )


class BearerAuth:
    """ASGI middleware: every request needs a valid token; a refusal is a 401 with a JSON reason, before any MCP."""

    def __init__(self, app: ASGIApp, verifier: TokenVerifier | None) -> None:
        self._app = app
        self._verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._verifier is None or scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        try:
            scope["user"] = self._verifier.verify(Request(scope).headers.get("authorization"))
        except TokenRefused as refused:
            refusal = JSONResponse({"error": str(refused)}, 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
            await refusal(scope, receive, send)
            return
        await self._app(scope, receive, send)


def caller_of(request: Request | None) -> Caller:
    """The caller of the HTTP request that carried an MCP message (anonymous without auth)."""
    user = request.scope.get("user") if request is not None else None
    if not isinstance(user, AuthenticatedUser):
        return ANONYMOUS
    claims = user.access_token.claims or {}
    return Caller(sub=user.access_token.subject, name=claims.get("name"))
