"""The provider's signing keys (its JWKS), cached. A key id not in the cache fetches the set again (the provider
rotated its keys), at most once every MIN_REFETCH_S, so tokens naming unknown keys cannot make this process
hammer the provider; the set is also read again after MAX_AGE_S."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

from chat_api.auth.oidc.errors import ProviderUnavailable, SignInRefused

MIN_REFETCH_S: Final = 10.0
MAX_AGE_S: Final = 3600.0


class KeyCache:
    def __init__(
        self,
        fetch: Callable[[], Awaitable[dict[str, Any]]],
        min_refetch_s: float = MIN_REFETCH_S,
        max_age_s: float = MAX_AGE_S,
    ) -> None:
        self._fetch = fetch
        self._min_refetch_s = min_refetch_s
        self._max_age_s = max_age_s
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0  # how often the set was read (for tests and the log)

    async def key(self, kid: str | None) -> Key:
        """The key the token's header names; SignInRefused when the provider has none of that id (even after
        reading its keys again), ProviderUnavailable when they cannot be read."""
        if self._keys is None or time.monotonic() - self._fetched_at > self._max_age_s:
            await self._refresh(self._keys)
        key = self._find(kid)
        if key is None and time.monotonic() - self._fetched_at >= self._min_refetch_s:
            await self._refresh(self._keys)
            key = self._find(kid)
        if key is None:
            raise SignInRefused("token_invalid", f"the ID token names a key the provider does not have ({kid!r})")
        return key

    def _find(self, kid: str | None) -> Key | None:
        keys = self._keys
        if keys is None:
            return None
        if kid is None:  # allowed by the spec when the provider has one key only
            return keys.keys[0] if len(keys.keys) == 1 else None
        return next((key for key in keys.keys if key.kid == kid), None)

    async def _refresh(self, seen: KeySet | None) -> None:
        async with self._lock:
            if self._keys is not seen:  # another request refreshed while this one waited
                return
            document = await self._fetch()
            try:
                keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
            except (JoseError, KeyError, TypeError, ValueError) as error:
                raise ProviderUnavailable(f"the provider's key set is not valid ({type(error).__name__})") from None
            self._keys, self._fetched_at = keys, time.monotonic()
            self.fetches += 1
