"""Why a sign-in with the provider ended without a session: each is a code the UI shows a sentence for."""

from typing import Final, Literal

RefusalCode = Literal[
    "denied",  # the user (or the provider) said no at the provider
    "state_mismatch",  # no sign-in under way with this state in this browser: forged, replayed, or another tab's
    "expired",  # the sign-in took longer than OIDC_SIGN_IN_TIMEOUT_S
    "code_refused",  # the provider would not exchange the code (used already, or expired)
    "token_invalid",  # the ID token failed a check: signature, key, issuer, audience, expiry, nonce
    "account_disabled",
    "provider_unavailable",  # the provider could not be reached, or answered nonsense
]

MESSAGES: Final[dict[RefusalCode, str]] = {
    "denied": "Sign-in was cancelled at the provider.",
    "state_mismatch": "This sign-in was not started in this browser, or was finished already. Start again.",
    "expired": "The sign-in took too long. Start again.",
    "code_refused": "The provider did not confirm the sign-in. Start again.",
    "token_invalid": "The provider's answer failed a security check, so you were not signed in.",
    "account_disabled": "This account is disabled.",
    "provider_unavailable": "The sign-in provider cannot be reached right now. Try again in a minute.",
}


class ProviderUnavailable(Exception):
    """The provider could not be reached, or said something that is not a valid discovery document or key set."""


class SignInRefused(Exception):
    """`code` goes to the UI; `reason` (never a token or a secret) to the log."""

    def __init__(self, code: RefusalCode, reason: str) -> None:
        super().__init__(reason)
        self.code: RefusalCode = code
        self.reason = reason
