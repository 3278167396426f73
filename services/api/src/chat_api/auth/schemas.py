"""The auth routes' bodies."""

import uuid

from pydantic import BaseModel, ConfigDict, Field

from chat_api.chat.openapi import WHITE_SPACE

# An email address as the service takes it (the pattern is also the schema's, so generated clients agree):
# local part, domain, top-level label; 254 characters at most in all; no white space (spelt out: regex dialects
# disagree on \s) and no NUL. (Nor a lone surrogate, which no pattern can say: the service refuses those too.)
_CHAR = f"[^@\\u0000{WHITE_SPACE}]"
EMAIL_PATTERN = f"^{_CHAR}{{1,64}}@{_CHAR}{{1,125}}\\.{_CHAR}{{1,63}}$"
PASSWORD = Field(min_length=8, max_length=256, description="8 to 256 characters.")


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    email: str = Field(examples=["ada@example.com"], json_schema_extra={"pattern": EMAIL_PATTERN})
    password: str = PASSWORD


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    current_password: str = Field(max_length=256)
    new_password: str = PASSWORD


class AccountDeletion(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    password: str | None = Field(
        default=None, max_length=256, description="The account's password (a guest has none: send `{}`)."
    )


class UserView(BaseModel):
    id: uuid.UUID
    email: str | None
    guest: bool


class SessionView(BaseModel):
    """A new access token (send it as `Authorization: Bearer`); the refresh token is in an httpOnly cookie."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the scheme's name, not a secret
    expires_in: int = Field(description="Seconds until the access token expires: refresh before then.")
    user: UserView
