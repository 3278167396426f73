"""A sign-in with the OpenID provider, from the button to the app's own session: start (state, nonce and PKCE
verifier kept server-side, bound to the browser), then finish (the state taken once, the code exchanged, the ID
token checked, the roles mapped to a tier, the account found or made by (issuer, subject))."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from httpx2 import HTTPError

from chat_api.auth.oidc.errors import ProviderUnavailable, SignInRefused
from chat_api.auth.oidc.flows import Pending, SignInFlows
from chat_api.auth.oidc.id_token import verify_id_token
from chat_api.auth.oidc.provider import Metadata, OidcProvider
from chat_api.auth.oidc.roles import display_name, tier_for
from chat_api.auth.service import AuthService, SignedIn
from chat_api.http.errors import ApiError
from chat_api.settings import Settings
from chat_api.storage.engine import Sessions

logger = logging.getLogger("chat_api.auth")

SECRET_LENGTH = 48  # characters of [A-Za-z0-9]: about 285 bits each for the state, the nonce and the verifier


class OidcSignIns:
    def __init__(self, provider: OidcProvider, auth: AuthService, sessions: Sessions, settings: Settings) -> None:
        self.provider = provider
        self.auth = auth
        self.settings = settings
        self.flows = SignInFlows(sessions, timedelta(seconds=settings.OIDC_SIGN_IN_TIMEOUT_S))

    async def start(self, return_to: str, redirect_uri: str, browser: str, refresh_token: str | None) -> str:
        """The provider's authorization URL to send the browser to."""
        metadata = await self.provider.metadata()
        state, nonce, verifier = (generate_token(SECRET_LENGTH) for _ in range(3))
        guest_id = await self.auth.guest_behind(refresh_token)
        await self.flows.begin(
            state, browser, Pending(nonce, verifier, redirect_uri, return_to, guest_id, self.flows.expiry())
        )
        async with self._client(metadata, redirect_uri) as client:
            url, _ = client.create_authorization_url(
                metadata.authorization_endpoint, state=state, code_verifier=verifier, nonce=nonce
            )
        return str(url)

    async def finish(self, code: str | None, state: str | None, browser: str | None) -> tuple[SignedIn, str]:
        """The app's session for the user the provider vouched for, and where to send the browser."""
        pending = await self.flows.take(state, browser)
        if not code:
            raise SignInRefused("code_refused", "the callback has no code")
        metadata = await self.provider.metadata()
        tokens = await self._exchange(metadata, code, pending)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise SignInRefused("token_invalid", "the provider's answer has no ID token (is openid in OIDC_SCOPES?)")
        access_token = tokens.get("access_token")
        claims = await verify_id_token(
            id_token,
            keys=self.provider.keys,
            algorithms=metadata.algorithms,
            issuer=metadata.issuer,
            client_id=self.provider.client_id,
            nonce=pending.nonce,
            access_token=access_token if isinstance(access_token, str) else None,
        )
        tier = tier_for(claims, self.settings.OIDC_ROLES_CLAIM, self.settings.tiers)
        try:
            signed_in = await self.auth.sign_in_with_provider(
                metadata.issuer, str(claims["sub"]), display_name(claims), tier.name, pending.guest_id
            )
        except ApiError as error:
            if error.status == 401:
                raise SignInRefused("account_disabled", "the account is disabled") from None
            raise
        logger.info(
            "signed in with the provider",
            extra={"fields": {"user_id": str(signed_in.identity.user_id), "tier": tier.name}},
        )
        return signed_in, pending.return_to

    def _client(self, metadata: Metadata, redirect_uri: str) -> AsyncOAuth2Client:
        secret = self.provider.client_secret
        return AsyncOAuth2Client(
            client_id=self.provider.client_id,
            client_secret=secret.get_secret_value() if secret is not None else None,
            token_endpoint_auth_method=metadata.token_auth_method,
            scope=self.settings.OIDC_SCOPES,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=self.provider.timeout_s,
        )

    async def _exchange(self, metadata: Metadata, code: str, pending: Pending) -> dict[str, Any]:
        async with self._client(metadata, pending.redirect_uri) as client:
            try:
                token = await client.fetch_token(
                    metadata.token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=pending.code_verifier,
                    redirect_uri=pending.redirect_uri,
                )
            except OAuthError as error:
                raise SignInRefused("code_refused", f"the provider refused the code ({error.error})") from None
            except (HTTPError, ValueError) as error:
                raise ProviderUnavailable(f"the token endpoint failed ({type(error).__name__})") from None
        return dict(token)


@asynccontextmanager
async def open_sign_ins(settings: Settings, auth: AuthService, sessions: Sessions) -> AsyncIterator[None]:
    """Sign-in with the provider on `auth` while open, when OIDC_ISSUER is set; its HTTP client closed after."""
    if not settings.oidc_enabled:
        yield
        return
    provider = OidcProvider(settings)
    auth.oidc = OidcSignIns(provider, auth, sessions, settings)
    try:
        yield
    finally:
        auth.oidc = None
        await provider.aclose()
