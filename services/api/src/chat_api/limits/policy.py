"""What a user may do: a guest's limits and a full account's, from the settings."""

from dataclasses import dataclass

from chat_api.auth.tokens import Identity
from chat_api.settings import Settings


@dataclass(frozen=True)
class Policy:
    requests_per_minute: int
    concurrent_streams: int
    tokens_per_day: int


def policy_for(identity: Identity, settings: Settings) -> Policy:
    if identity.guest:
        return Policy(
            settings.GUEST_REQUESTS_PER_MINUTE, settings.GUEST_CONCURRENT_STREAMS, settings.GUEST_TOKENS_PER_DAY
        )
    return Policy(settings.USER_REQUESTS_PER_MINUTE, settings.USER_CONCURRENT_STREAMS, settings.USER_TOKENS_PER_DAY)
