"""A real OpenID provider for the tests: oidc-provider-mock (Authlib's server side, in Flask), on loopback in a
thread, with users whose roles differ; its login form is posted the way a browser would."""

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
from authlib.deprecate import AuthlibDeprecationWarning

with warnings.catch_warnings():
    # The provider (test-only) still imports Authlib's older JOSE module; the api itself uses joserfc.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    import oidc_provider_mock

USERS = [
    oidc_provider_mock.User(
        sub="alice", claims={"email": "alice@example.com", "name": "Alice", "roles": ["Chat.User"]}
    ),
    oidc_provider_mock.User(sub="root", claims={"email": "root@example.com", "roles": ["Chat.User", "Chat.Admin"]}),
    oidc_provider_mock.User(sub="nobody", claims={"email": "nobody@example.com"}),
]


@contextmanager
def provider(token_max_age: timedelta = timedelta(hours=1)) -> Iterator[str]:
    """The issuer URL of a provider that wants a nonce in every authorization request."""
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain HTTP, on loopback only
    with oidc_provider_mock.run_server_in_thread(
        require_nonce=True, access_token_max_age=token_max_age, user_claims=USERS
    ) as server:
        yield f"http://localhost:{server.server_port}"


async def authorize(authorization_url: str, subject: str, deny: bool = False) -> str:
    """Signs `subject` in at the provider's form (as its page would post it): the redirect back to the app."""
    async with httpx.AsyncClient(timeout=10) as browser:
        data = {"action": "deny"} if deny else {"sub": subject}
        answer = await browser.post(authorization_url, data=data)
    assert answer.status_code == 302, answer.text[:300]
    return answer.headers["location"]
