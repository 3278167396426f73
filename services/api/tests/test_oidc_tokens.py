"""The ID token's checks, on tokens made here with test keys: each attack is refused, with its reason."""

import base64
import json
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import Key, KeySet, OctKey, RSAKey

from chat_api.auth.oidc.errors import ProviderUnavailable, SignInRefused
from chat_api.auth.oidc.id_token import verify_id_token
from chat_api.auth.oidc.keys import KeyCache
from chat_api.auth.oidc.provider import read_metadata

ISSUER = "https://login.example.com/tenant/v2.0"
CLIENT = "chat-client"
NONCE = "n-0S6_WzA2Mj"
ALGORITHMS = ("RS256",)


def rsa(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid}, private=True)


SIGNING = rsa("key-1")
ROTATED = rsa("key-2")
STRANGER = rsa("key-x")  # a key the provider never published


class Provider:
    """The provider's published keys, changeable, counting how often they are read."""

    def __init__(self, *keys: RSAKey) -> None:
        self.keys: list[Key] = list(keys)
        self.reads = 0

    async def fetch(self) -> dict[str, Any]:
        self.reads += 1
        return dict(KeySet(self.keys).as_dict(private=False))


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": ISSUER, "sub": "user-1", "aud": CLIENT, "exp": now + 300, "iat": now, "nonce": NONCE}
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def sign(key: RSAKey, payload: dict[str, Any], alg: str = "RS256") -> str:
    return jwt.encode({"alg": alg, "kid": key.kid}, payload, key, algorithms=[alg])


async def verify(token: str, cache: KeyCache, nonce: str = NONCE) -> dict[str, Any]:
    return await verify_id_token(token, keys=cache, algorithms=ALGORITHMS, issuer=ISSUER, client_id=CLIENT, nonce=nonce)


async def refused(token: str, cache: KeyCache | None = None, nonce: str = NONCE) -> str:
    with pytest.raises(SignInRefused) as caught:
        await verify(token, cache or KeyCache(Provider(SIGNING).fetch), nonce)
    assert caught.value.code == "token_invalid"
    return caught.value.reason


async def test_a_good_token_passes() -> None:
    checked = await verify(sign(SIGNING, claims(roles=["Chat.User"])), KeyCache(Provider(SIGNING).fetch))
    assert checked["sub"] == "user-1" and checked["roles"] == ["Chat.User"]


async def test_a_token_among_several_audiences_passes_with_azp() -> None:
    token = sign(SIGNING, claims(aud=[CLIENT, "another-api"], azp=CLIENT))
    assert (await verify(token, KeyCache(Provider(SIGNING).fetch)))["sub"] == "user-1"


async def test_a_wrong_nonce_is_refused() -> None:
    assert "nonce" in await refused(sign(SIGNING, claims(nonce="someone-elses")))


async def test_a_token_without_a_nonce_is_refused() -> None:
    assert "nonce" in await refused(sign(SIGNING, claims(nonce=None)))


async def test_a_token_for_another_audience_is_refused() -> None:
    assert "aud" in await refused(sign(SIGNING, claims(aud="another-client")))


async def test_another_audience_naming_this_client_as_azp_only_is_refused() -> None:
    assert "aud" in await refused(sign(SIGNING, claims(aud="another-client", azp=CLIENT)))


async def test_a_token_from_another_issuer_is_refused() -> None:
    assert "iss" in await refused(sign(SIGNING, claims(iss="https://evil.example.com")))


async def test_an_expired_token_is_refused() -> None:
    past = int(time.time()) - 3600
    assert "expired" in await refused(sign(SIGNING, claims(iat=past - 300, exp=past)))


async def test_a_token_issued_in_the_future_is_refused() -> None:
    later = int(time.time()) + 3600
    assert "future" in await refused(sign(SIGNING, claims(iat=later, exp=later + 300)))


async def test_an_unsigned_token_alg_none_is_refused() -> None:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    token = f"{part({'alg': 'none', 'kid': SIGNING.kid})}.{part(claims())}."
    assert "'none'" in await refused(token)


async def test_a_token_signed_with_a_shared_secret_is_refused() -> None:
    # HS256 would let whoever knows the secret (the client secret, say) sign as the provider: never accepted.
    secret = OctKey.import_key(b"a-secret-many-hands-have-seen-32b")
    token = jwt.encode({"alg": "HS256", "kid": SIGNING.kid}, claims(), secret, algorithms=["HS256"])
    assert "HS256" in await refused(token)


async def test_a_forged_signature_is_refused() -> None:
    token = sign(STRANGER, claims())
    _, payload, signature = token.split(".")
    forged = f"{sign(SIGNING, claims()).split('.')[0]}.{payload}.{signature}"  # header says key-1
    assert "signature" in await refused(forged)


async def test_an_unknown_key_id_is_refused_after_one_fresh_read_of_the_keys() -> None:
    provider = Provider(SIGNING)
    cache = KeyCache(provider.fetch, min_refetch_s=0)
    await verify(sign(SIGNING, claims()), cache)
    assert provider.reads == 1
    assert "key-x" in await refused(sign(STRANGER, claims()), cache)
    assert provider.reads == 2  # read again once, in case the provider had rotated


async def test_unknown_key_ids_do_not_make_it_read_the_keys_more_than_once_a_while() -> None:
    provider = Provider(SIGNING)
    cache = KeyCache(provider.fetch, min_refetch_s=3600)
    await verify(sign(SIGNING, claims()), cache)
    for _ in range(5):
        await refused(sign(STRANGER, claims()), cache)
    assert provider.reads == 1


async def test_a_rotated_key_is_found_by_reading_the_keys_again() -> None:
    provider = Provider(SIGNING)
    cache = KeyCache(provider.fetch, min_refetch_s=0)
    await verify(sign(SIGNING, claims()), cache)
    provider.keys = [SIGNING, ROTATED]  # the provider publishes its next key, then signs with it
    assert (await verify(sign(ROTATED, claims()), cache))["sub"] == "user-1"
    assert provider.reads == 2
    await verify(sign(ROTATED, claims()), cache)
    assert provider.reads == 2  # known now: no further read


async def test_not_a_jwt_is_refused() -> None:
    assert "not a signed JWT" in await refused("not.a-token")


def test_the_discovery_document_decides_algorithms_and_client_authentication() -> None:
    document = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/authorize",
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/keys",
        "id_token_signing_alg_values_supported": ["none", "HS256", "RS256", "ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
    }
    confidential = read_metadata(document, ISSUER + "/", has_secret=True)  # a trailing slash aside
    assert confidential.algorithms == ("RS256", "ES256")  # never none, never a shared secret
    assert confidential.token_auth_method == "client_secret_post"
    assert read_metadata(document, ISSUER, has_secret=False).token_auth_method == "none"  # PKCE alone


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"issuer": "https://evil.example.com"}, "another issuer"),
        ({"token_endpoint": None}, "token_endpoint"),
        ({"id_token_signing_alg_values_supported": ["none", "HS256"]}, "none of"),
    ],
)
def test_a_discovery_document_for_another_issuer_or_without_what_is_needed_is_refused(
    change: dict[str, Any], says: str
) -> None:
    document = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/authorize",
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/keys",
        **change,
    }
    with pytest.raises(ProviderUnavailable, match=says):
        read_metadata(document, ISSUER, has_secret=True)
