"""An operator: a signed-in account whose email ADMIN_EMAILS lists. (The organisation's roles replace this.)"""

from typing import Annotated

from fastapi import Depends

from chat_api.auth.deps import AuthServiceDep, CurrentUser
from chat_api.auth.tokens import Identity
from chat_api.http.deps import SettingsDep
from chat_api.http.errors import ApiError


async def require_operator(identity: CurrentUser, auth: AuthServiceDep, settings: SettingsDep) -> Identity:
    if not identity.guest and settings.ADMIN_EMAILS:
        account = await auth.account(identity)
        if account.email is not None and account.email.lower() in settings.ADMIN_EMAILS:
            return identity
    raise ApiError(403, "forbidden", "This is for the service's operators only.")


Operator = Annotated[Identity, Depends(require_operator)]
