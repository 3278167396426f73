"""The ID token's checks, by joserfc (the signature) and Authlib's CodeIDToken (the claims): signed by a key of
the provider's with an algorithm it announced (never `none`, never a shared secret), issued by the issuer for
this client, not expired, and carrying the nonce this sign-in sent."""

from typing import Any, Final

from authlib.oidc.core import CodeIDToken
from joserfc import jws, jwt
from joserfc.errors import ExpiredTokenError, JoseError

from chat_api.auth.oidc.errors import SignInRefused
from chat_api.auth.oidc.keys import KeyCache

LEEWAY_S: Final = 60  # clock skew between this server and the provider


async def verify_id_token(
    id_token: str,
    *,
    keys: KeyCache,
    algorithms: tuple[str, ...],
    issuer: str,
    client_id: str,
    nonce: str,
    access_token: str | None = None,
    now: int | None = None,
) -> dict[str, Any]:
    """The token's claims once every check passed; SignInRefused("token_invalid", why) otherwise."""
    try:
        header = jws.extract_compact(id_token.encode()).headers()
    except (JoseError, ValueError) as error:
        raise SignInRefused("token_invalid", f"the ID token is not a signed JWT ({type(error).__name__})") from None
    alg = header.get("alg")
    if alg not in algorithms:
        raise SignInRefused("token_invalid", f"the ID token's algorithm {alg!r} is not one of {list(algorithms)}")
    kid = header.get("kid")
    key = await keys.key(kid if isinstance(kid, str) else None)
    try:
        token = jwt.decode(id_token, key, algorithms=[alg])
    except JoseError as error:
        raise SignInRefused("token_invalid", f"the ID token's signature is not valid ({error.error})") from None
    claims = CodeIDToken(
        token.claims,
        token.header,
        {
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": client_id},
            "sub": {"essential": True},
            "nonce": {"essential": True, "value": nonce},
        },
        {"nonce": nonce, "client_id": client_id, "access_token": access_token},
    )
    try:
        claims.validate(now=now, leeway=LEEWAY_S)
    except ExpiredTokenError:
        raise SignInRefused("token_invalid", "the ID token has expired") from None
    except JoseError as error:
        raise SignInRefused("token_invalid", f"the ID token's claims failed a check ({error.description})") from None
    return dict(claims)
