"""What a user may do: a guest's limits, or an account's, set by its tier (limits/tiers.py) where the tier says
and by the account defaults where it does not."""

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
    tier = settings.tiers.named(identity.tier)
    return Policy(
        tier.requests_per_minute or settings.USER_REQUESTS_PER_MINUTE,
        tier.concurrent_streams or settings.USER_CONCURRENT_STREAMS,
        tier.tokens_per_day or settings.USER_TOKENS_PER_DAY,
    )
