"""An operator gives a password account a tier (admin/set_tier.py runs it): e.g. an admin tier, so that a
deployment without single sign-on has an operator. Accounts that sign in with the organisation's provider take
their tier from its roles at each sign-in instead; guests have no address to name them by.

The tier travels in the access token: the user's token epoch moves on with it, so the tokens issued before are
refused from the next request and the client refreshes (its session goes on) to one with the new tier."""

import uuid
from dataclasses import dataclass

from sqlalchemy import update

from chat_api.admin import audit
from chat_api.auth import emails
from chat_api.auth.revocation import Revocations
from chat_api.auth.service import account_with_email
from chat_api.http.errors import ApiError
from chat_api.limits.tiers import Tiers
from chat_api.storage.engine import Sessions
from chat_api.storage.models import User


class Refused(Exception):
    """The change cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class TierGiven:
    user_id: uuid.UUID
    email: str
    tier: str
    admin: bool
    before: str  # the tier it had: its stored one, else the default
    changed: bool


async def give_tier(
    sessions: Sessions, revocations: Revocations, tiers: Tiers, email_given: str, tier_name: str
) -> TierGiven:
    tier = tiers.find(tier_name)
    if tier is None:
        names = ", ".join(each.name for each in tiers.tiers)
        raise Refused(f"no tier named {tier_name!r}; the configured tiers (TIERS or TIERS_FILE) are: {names}")
    try:
        email = emails.normalise(email_given)
    except ApiError as error:
        raise Refused(error.message) from None
    async with sessions.begin() as session:
        user = await account_with_email(session, email)  # the account a sign-in with this address reaches
        if user is None:
            raise Refused(
                f"no account with the email {email.address} (nor a look-alike: case, +tag, Gmail dots). Guests "
                "have no email; accounts of the organisation's provider take their tier from its roles"
            )
        before, changed = tiers.named(user.tier).name, user.tier != tier.name
        if changed:
            await session.execute(
                update(User).where(User.id == user.id).values(tier=tier.name, token_epoch=User.token_epoch + 1)
            )
            target = audit.Named(user.id, user.email or email.address)
            audit.record(session, audit.COMMAND_LINE, "tier.give", target, f"{before} -> {tier.name}")
        result = TierGiven(user.id, user.email or email.address, tier.name, tier.admin, before, changed)
    if changed:
        await revocations.user_changed(user.id)
    return result
