"""The OpenID provider as this app sees it: its discovery document (read when first needed, then kept for an
hour), its keys, and one HTTP client for both."""

import logging
import time
from dataclasses import dataclass
from typing import Any, Final

import httpx2

from chat_api.auth.oidc.errors import ProviderUnavailable
from chat_api.auth.oidc.keys import KeyCache
from chat_api.settings import Settings

logger = logging.getLogger("chat_api.auth")

METADATA_MAX_AGE_S: Final = 3600.0
# Asymmetric signatures only: never `none`, and never HS256 (whose key would be the client secret, which the
# provider shares with every holder of this app's configuration).
SIGNING_ALGORITHMS: Final = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]  # the ID token algorithms both sides accept
    token_auth_method: str  # how this client proves itself at the token endpoint


def read_metadata(document: Any, issuer: str, has_secret: bool) -> Metadata:
    """The discovery document's fields this app uses; ProviderUnavailable if it is not for `issuer`."""
    if not isinstance(document, dict):
        raise ProviderUnavailable("the discovery document is not a JSON object")
    said = document.get("issuer")
    # OpenID Connect Discovery 1.0, 4.3: the issuer in the document is the one configured (a trailing slash
    # aside, which configurations often add or drop); tokens are then checked against the document's own.
    if not isinstance(said, str) or said.rstrip("/") != issuer.rstrip("/"):
        raise ProviderUnavailable(f"the discovery document names another issuer ({said!r})")
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(name)
        if not isinstance(value, str) or not value.startswith(("https://", "http://")):
            raise ProviderUnavailable(f"the discovery document has no {name}")
        endpoints[name] = value
    advertised = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = tuple(alg for alg in SIGNING_ALGORITHMS if alg in advertised)
    if not algorithms:
        raise ProviderUnavailable(f"the provider signs ID tokens with none of {', '.join(SIGNING_ALGORITHMS)}")
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if not has_secret:
        method = "none"
    elif "client_secret_basic" in methods:
        method = "client_secret_basic"
    else:
        method = "client_secret_post"
    return Metadata(said, algorithms=algorithms, token_auth_method=method, **endpoints)


class OidcProvider:
    def __init__(self, settings: Settings, http: httpx2.AsyncClient | None = None) -> None:
        assert settings.OIDC_ISSUER is not None and settings.OIDC_CLIENT_ID is not None
        self.issuer = settings.OIDC_ISSUER
        self.client_id = settings.OIDC_CLIENT_ID
        self.client_secret = settings.OIDC_CLIENT_SECRET
        self.timeout_s = settings.OIDC_HTTP_TIMEOUT_S
        self.http = http or httpx2.AsyncClient(timeout=settings.OIDC_HTTP_TIMEOUT_S, follow_redirects=False)
        self.keys = KeyCache(self._fetch_keys)
        self._metadata: Metadata | None = None
        self._metadata_at = 0.0

    async def aclose(self) -> None:
        await self.http.aclose()

    async def metadata(self) -> Metadata:
        if self._metadata is None or time.monotonic() - self._metadata_at > METADATA_MAX_AGE_S:
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            document = await self._get_json(url, "discovery document")
            self._metadata = read_metadata(document, self.issuer, self.client_secret is not None)
            self._metadata_at = time.monotonic()
        return self._metadata

    async def _fetch_keys(self) -> dict[str, Any]:
        document = await self._get_json((await self.metadata()).jwks_uri, "key set")
        if not isinstance(document, dict):
            raise ProviderUnavailable("the key set is not a JSON object")
        return document

    async def _get_json(self, url: str, what: str) -> Any:
        try:
            response = await self.http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            return response.json()
        except (httpx2.HTTPError, ValueError) as error:
            raise ProviderUnavailable(f"could not read the provider's {what} ({type(error).__name__})") from None
