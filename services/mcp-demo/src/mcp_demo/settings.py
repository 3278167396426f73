"""The server's configuration, read once from MCP_DEMO_* environment variables."""

from functools import lru_cache

from pydantic import Field, PositiveFloat, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# HS256 with a shorter key is guessable offline from one captured token (RFC 7518 section 3.2 asks for 256 bits).
MIN_SECRET_CHARS = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MCP_DEMO_", extra="ignore")

    token_secret: SecretStr | None = Field(
        None,
        description="HS256 secret the api signs its per-user tokens with. Unset or empty: no auth, one shared store.",
    )
    audience: str = Field("demo", min_length=1, description="The `aud` a token must name: this server's name.")
    issuer: str = Field("chat-api", min_length=1, description="The `iss` a token must name.")
    test_hooks: bool = Field(False, description="Serve the test-only /_demo/ routes (the e2e stack only).")
    session_idle_s: PositiveFloat = Field(600.0, description="An MCP session without requests this long is closed.")
    log_level: str = Field("INFO", description="Level of the one JSON line logged per request.")

    @field_validator("token_secret")
    @classmethod
    def _strong_or_unset(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is None or not secret.get_secret_value():
            return None
        if len(secret.get_secret_value()) < MIN_SECRET_CHARS:
            raise ValueError(f"must be at least {MIN_SECRET_CHARS} characters (or unset for no auth)")
        return secret


@lru_cache
def get_settings() -> Settings:
    return Settings()
