"""An operator: a signed-in account, not a guest, whose tier (limits/tiers.py) is an admin tier. The tier comes
from the organisation's roles at each single sign-on, or is given to a password account by an operator
(`python -m chat_api.admin.set_tier`); never from anything a user can claim, such as an email address."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.admin.service import AdminService
from chat_api.auth.deps import CurrentUser
from chat_api.auth.tokens import Identity
from chat_api.http.app_state import StateKey
from chat_api.http.deps import SettingsDep
from chat_api.http.errors import ApiError
from chat_api.settings import Settings


def ensure_operator(identity: Identity, settings: Settings) -> Identity:
    if not identity.guest and settings.tiers.named(identity.tier).admin:
        return identity
    raise ApiError(403, "forbidden", "This is for the service's operators only.")


async def require_operator(identity: CurrentUser, settings: SettingsDep) -> Identity:
    return ensure_operator(identity, settings)


Operator = Annotated[Identity, Depends(require_operator)]

ADMIN: StateKey[AdminService] = StateKey("admin")


async def _admin_service(request: Request) -> AdminService:
    return ADMIN.of(request)


AdminServiceDep = Annotated[AdminService, Depends(_admin_service)]
