"""The auth routes' bodies."""

import uuid

from pydantic import BaseModel, ConfigDict, Field

# An email address as the service takes it (the pattern is also the schema's, so generated clients and fuzzers
# agree with the server): a dot-atom local part of at most 64 characters; one to four domain labels (ASCII, or
# short ones with Latin letters, which IDNA takes; no `--`, so no Punycode: type the domain as you read it) and
# a top-level label of letters; a trailing dot (the DNS root) allowed. Narrower than RFC 5322 on purpose: every
# address it admits, email-validator (auth/emails.py) takes too, so a schema-valid address is never refused.
_ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LATIN = "[A-Za-z0-9\\u00c0-\\u00d6\\u00d8-\\u00de\\u00e0-\\u00f6\\u00f8-\\u00ff]"
_LABEL = f"(?:[A-Za-z0-9]{{1,16}}(?:-[A-Za-z0-9]{{1,8}}){{0,2}}|{_LATIN}{{1,12}}(?:-{_LATIN}{{1,6}})?)"
EMAIL_PATTERN = f"^{_ATEXT}{{1,24}}(?:\\.{_ATEXT}{{1,19}}){{0,2}}@(?:{_LABEL}\\.){{1,4}}[A-Za-z]{{2,24}}\\.?$"
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
    email: str | None = Field(description="An account with a password: its email. Otherwise none.")
    guest: bool
    name: str | None = Field(
        default=None, description="What to call the user: the email, or what the organisation's provider said."
    )
    sso: bool = Field(default=False, description="Signs in with the organisation's provider (it has no password).")
    tier: str | None = Field(default=None, description="An account's tier (none for a guest).")
    admin: bool = Field(default=False, description="Its tier may open the admin view.")


class OidcMethod(BaseModel):
    name: str = Field(description='The provider, as the button names it: "Sign in with <name>".')
    start: str = Field(
        default="/api/auth/oidc/start",
        description="Send the browser here (add `?return_to=/c/<id>` to come back to a page) to sign in.",
    )


class AuthMethods(BaseModel):
    guests: bool = Field(description="Anyone may chat at once as a guest (POST /api/auth/guest).")
    passwords: bool = Field(description="Accounts with an email and a password (register, login).")
    oidc: OidcMethod | None = Field(description="Single sign-on with the organisation's provider, when configured.")


class SessionView(BaseModel):
    """A new access token (send it as `Authorization: Bearer`); the refresh token is in an httpOnly cookie."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the scheme's name, not a secret
    expires_in: int = Field(description="Seconds until the access token expires: refresh before then.")
    user: UserView
