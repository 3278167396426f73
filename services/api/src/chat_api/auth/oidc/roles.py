"""The ID token's roles (or groups) and the tier they map to.

Microsoft Entra ID puts at most 200 groups in a token; past that ("group overage") the claim is left out and
`_claim_names` points to where it could be read instead (Microsoft Graph, which needs a permission this app does
not ask for). Such a user gets the default tier, and the log says why, so an operator can switch to app roles
(never in overage) or to groups assigned to the application.
"""

import logging
from typing import Any

from chat_api.limits.tiers import Tier, Tiers

logger = logging.getLogger("chat_api.auth")


def roles_in(claims: dict[str, Any], claim: str) -> tuple[str, ...] | None:
    """The names in `claim` (a list, or one name); None when the provider left them out for overage."""
    value = claims.get(claim)
    if value is None:
        referred = claims.get("_claim_names")
        if (isinstance(referred, dict) and claim in referred) or claims.get("hasgroups") is True:
            return None
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(name for name in value if isinstance(name, str))
    return ()


def tier_for(claims: dict[str, Any], claim: str, tiers: Tiers) -> Tier:
    roles = roles_in(claims, claim)
    if roles is None:
        tier = tiers.named(None)
        logger.warning(
            "the provider left the roles claim out (group overage: the user has more groups than fit in a token); "
            "the user gets the default tier. Map app roles, or groups assigned to the application, instead",
            extra={"fields": {"claim": claim, "tier": tier.name}},
        )
        return tier
    return tiers.for_roles(roles)


def display_name(claims: dict[str, Any]) -> str | None:
    """What to show for the user: its email, else its username, else its name."""
    for name in ("email", "preferred_username", "upn", "name"):
        value = claims.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()[:254]
    return None
