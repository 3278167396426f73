"""Configuration from the environment (and an optional .env), validated once at start."""

import sys
from functools import lru_cache
from typing import Annotated, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AnyHttpUrl,
    Field,
    PositiveFloat,
    PositiveInt,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")
    # Azure OpenAI (the seed's names)
    AZURE_OPENAI_ENDPOINT: AnyHttpUrl
    AZURE_OPENAI_DEPLOYMENT: str = Field(min_length=1)
    AZURE_OPENAI_API_KEY: SecretStr | None = Field(
        None, description="Unset or empty: keyless Microsoft Entra ID (DefaultAzureCredential)."
    )
    AZURE_OPENAI_API_VERSION: str = "2024-10-21"

    # Server
    APP_HOST: str = "0.0.0.0"
    APP_PORT: int = Field(8000, ge=1, le=65535)
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    LOG_MESSAGE_TEXT: bool = Field(False, description="Log what users typed. Off: logs carry sizes only.")
    CORS_ALLOW_ORIGINS: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins allowed by CORS; empty: CORS closed."
    )
    FORWARDED_ALLOW_IPS: str = Field("*", description="Whose X-Forwarded-* headers to trust (only nginx reaches us).")
    WEB_CONCURRENCY: int = Field(2, ge=1, le=64, description="gunicorn workers.")
    GRACEFUL_TIMEOUT_S: int = Field(
        30, ge=1, le=3600, description="On shutdown, how long streams in flight may finish (whole seconds)."
    )

    # The conversation
    SYSTEM_PROMPT: str = "You are a helpful assistant. Answer clearly; use Markdown where it helps."
    MAX_MESSAGE_CHARS: PositiveInt = 32_000
    MAX_HISTORY_MESSAGES: PositiveInt = 100
    MAX_HISTORY_CHARS: PositiveInt = 200_000
    MAX_BODY_BYTES: PositiveInt = 1_048_576
    MAX_OUTPUT_TOKENS: PositiveInt = 4096
    DEFAULT_MAX_TOKENS: PositiveInt = 1024

    # The upstream
    UPSTREAM_CONNECT_TIMEOUT_S: PositiveFloat = 5.0
    UPSTREAM_TIMEOUT_S: PositiveFloat = Field(
        60.0,
        description="Longest silence allowed from the upstream: before the first token and between chunks.",
    )
    UPSTREAM_MAX_RETRIES: int = Field(2, ge=0, le=10, description="Retries of 429/5xx before the first token.")
    UPSTREAM_RETRY_BASE_S: PositiveFloat = Field(
        0.25, description="First backoff before a retry without Retry-After; doubles each time, with jitter."
    )
    UPSTREAM_RETRY_MAX_WAIT_S: PositiveFloat = Field(
        10.0, description="A Retry-After longer than this is not waited for: the client gets the 429 instead."
    )
    HEARTBEAT_S: PositiveFloat = Field(15.0, description="SSE comment heartbeat while the upstream is silent.")

    @field_validator("CORS_ALLOW_ORIGINS", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("AZURE_OPENAI_API_KEY", mode="before")
    @classmethod
    def _empty_key_means_entra_id(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def uses_entra_id(self) -> bool:
        return self.AZURE_OPENAI_API_KEY is None

    @property
    def upstream_address(self) -> str:
        """The upstream's `host[:port]`, as written in its endpoint: kept out of every log line."""
        return urlsplit(str(self.AZURE_OPENAI_ENDPOINT)).netloc.rpartition("@")[2]


def describe_error(error: ValidationError) -> str:
    """One line naming the first bad variable, without its value (it may be a secret)."""
    first = error.errors(include_url=False, include_input=False)[0]
    name = ".".join(str(part) for part in first["loc"]) or "settings"
    return f"configuration error: {name}: {first['msg']}"


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load(kind: type[SettingsT]) -> SettingsT:
    """Settings of `kind` from the environment; a missing or malformed variable ends the process with one
    clear line."""
    try:
        return kind()  # pydantic-settings fills the required fields from the environment
    except ValidationError as error:
        print(describe_error(error), file=sys.stderr)
        raise SystemExit(2) from None


@lru_cache
def get_settings() -> Settings:
    return load(Settings)
