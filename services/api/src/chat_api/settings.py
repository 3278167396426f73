"""Configuration from the environment (and an optional .env), validated once at start."""

import ipaddress
import os
import sys
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final, Literal, Self, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AnyHttpUrl,
    Field,
    PositiveFloat,
    PositiveInt,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from chat_api.chat.model_entries import ModelEntry, problems_of
from chat_api.limits.tiers import ONE_TIER, Tiers, read_tiers_file

if TYPE_CHECKING:
    from chat_api.tools.mcp.config import McpServer

OPENAI_DEFAULT_BASE_URL: Final = "https://api.openai.com/v1"
CONTEXT_WINDOW_FALLBACK: Final = 128_000  # when neither the settings nor the server say


class DatabaseSettings(BaseSettings):
    """What the migrations need (the migrate step runs with these alone)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    DATABASE_URL: SecretStr | None = Field(
        None,
        description="postgresql://user:password@host:5432/db (asyncpg) or sqlite+aiosqlite:///path. Unset: an "
        "SQLite file, SQLITE_PATH (development without containers).",
    )
    SQLITE_PATH: str = "chat.db"
    DATABASE_POOL_SIZE: PositiveInt = Field(10, description="Connections each worker keeps to Postgres.")

    @property
    def database_url(self) -> str:
        if self.DATABASE_URL is None:
            return f"sqlite+aiosqlite:///{self.SQLITE_PATH}"
        url = self.DATABASE_URL.get_secret_value()
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url.removeprefix(prefix)
        return url


class Settings(DatabaseSettings):
    _mcp_servers: "list[McpServer]" = PrivateAttr(default_factory=list)  # read from MCP_SERVERS_FILE at start
    MODEL_PROVIDER: Literal["azure", "openai"] = Field(
        "azure", description="azure: Azure OpenAI (AZURE_OPENAI_*). openai: any OpenAI-compatible server (OPENAI_*)."
    )

    # Azure OpenAI (Azure's own variable names); required when MODEL_PROVIDER is azure
    AZURE_OPENAI_ENDPOINT: AnyHttpUrl | None = None
    AZURE_OPENAI_DEPLOYMENT: str | None = Field(None, min_length=1)
    AZURE_OPENAI_API_KEY: SecretStr | None = Field(
        None, description="Unset or empty: keyless Microsoft Entra ID (DefaultAzureCredential)."
    )
    AZURE_OPENAI_API_VERSION: str = "2024-10-21"

    # OpenAI, or a server that speaks its API (Ollama, vLLM, LM Studio); when MODEL_PROVIDER is openai
    OPENAI_BASE_URL: AnyHttpUrl | None = Field(
        None, description="The API's base URL, with its /v1 (e.g. http://localhost:11434/v1). Unset: OpenAI's."
    )
    OPENAI_API_KEY: SecretStr | None = Field(None, description="Unset or empty: none (local servers need none).")
    OPENAI_MODEL: str | None = Field(None, min_length=1, description="The model's name, e.g. gpt-4o-mini, llama3.2.")

    # What the model takes (either provider)
    MODEL_REASONING: bool = Field(
        False,
        description="The model reasons (Azure's o-series, the gpt-5 family): it is sent max_completion_tokens and "
        "a reasoning effort, never max_tokens, temperature or top_p; its reasoning tokens count in usage.",
    )
    REASONING_EFFORT: Literal["low", "medium", "high"] | None = Field(
        None, description="A reasoning model's effort when a request names none. Unset: the model's own default."
    )
    MODELS: list[ModelEntry] | None = Field(
        None,
        description="Several models users pick from, as a JSON list (the first is the default): each "
        '{"id", "label", "provider": "azure"|"openai", "deployment" (Azure) or "model", "context_window", '
        '"max_output_tokens", "reasoning", "vision", "tools"}; see the README\'s "Several models". Unset: the one '
        "model AZURE_OPENAI_DEPLOYMENT or OPENAI_MODEL names.",
    )

    # Server
    APP_HOST: str = "0.0.0.0"
    APP_PORT: int = Field(8000, ge=1, le=65535)
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    LOG_MESSAGE_TEXT: bool = Field(False, description="Log what users typed. Off: logs carry sizes only.")
    CORS_ALLOW_ORIGINS: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins allowed by CORS; empty: CORS closed."
    )
    FORWARDED_ALLOW_IPS: str = Field(
        "",
        description="The proxy addresses or networks (comma-separated) whose X-Forwarded-For names the client; "
        "empty: none, every limit counts the connecting address itself.",
    )
    WEB_CONCURRENCY: int = Field(
        0, ge=0, le=64, description="gunicorn workers; 0: this machine's cores shared among API_REPLICAS."
    )
    API_REPLICAS: PositiveInt = Field(
        1, le=64, description="How many replicas of the api share this machine (compose passes its own count)."
    )
    GRACEFUL_TIMEOUT_S: int = Field(
        30, ge=1, le=3600, description="On shutdown, how long streams in flight may finish (whole seconds)."
    )

    # Accounts and sessions
    AUTH_SECRET: SecretStr | None = Field(
        None,
        min_length=32,
        description="Signs access tokens (HS256). Unset: a key generated once, stored in the database, shared "
        "by every replica.",
    )
    ACCESS_TOKEN_TTL_S: int = Field(600, ge=60, le=3600, description="How long an access token is valid.")
    REFRESH_TOKEN_TTL_DAYS: int = Field(30, ge=1, le=365, description="How long a session lasts unused.")
    AUTH_COOKIE_SECURE: bool = Field(
        True, description="Send the refresh cookie over HTTPS only (browsers also accept it from localhost)."
    )
    LOGIN_WINDOW_S: PositiveInt = Field(900, description="The window in which sign-in attempts are counted.")
    LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS: PositiveInt = Field(
        5, description="Sign-in attempts at one account from one address before each next one waits."
    )
    LOGIN_MAX_FAILURES_PER_ACCOUNT: PositiveInt = Field(
        100, description="Sign-in attempts at one account from anywhere before each next one waits."
    )
    LOGIN_MAX_FAILURES_PER_ADDRESS: PositiveInt = Field(
        20, description="Sign-in attempts from one address, at any account, before each next one waits."
    )
    LOGIN_MAX_DELAY_S: int = Field(
        300, ge=5, le=86_400, description="The longest wait between attempts past a limit (it doubles from 5 s)."
    )

    # Ways in, for an organisation: guests, passwords, and single sign-on (OpenID Connect) when OIDC_ISSUER is set
    AUTH_GUESTS: bool = Field(True, description="Anyone may chat at once as a guest. Off: only accounts.")
    AUTH_PASSWORDS: bool = Field(True, description="Accounts with an email and a password. Off: none sign up or in.")
    OIDC_ISSUER: str | None = Field(
        None,
        description="The OpenID provider's issuer URL, exactly as its tokens say it (Entra ID: "
        "https://login.microsoftonline.com/<tenant id>/v2.0); its discovery document is read from "
        "<issuer>/.well-known/openid-configuration. Unset: no single sign-on.",
    )
    OIDC_CLIENT_ID: str | None = Field(None, min_length=1, description="This app's client (application) id there.")
    OIDC_CLIENT_SECRET: SecretStr | None = Field(
        None, description="Its client secret. Unset: a public client (PKCE alone)."
    )
    OIDC_SCOPES: str = Field("openid profile email", description="Scopes asked for, space-separated; openid first.")
    OIDC_PROVIDER_NAME: str = Field(
        "your organisation", min_length=1, max_length=60, description='The button says "Sign in with <this>".'
    )
    OIDC_ROLES_CLAIM: str = Field(
        "roles", min_length=1, description="The ID token claim whose names map to tiers (Entra: roles, or groups)."
    )
    OIDC_REDIRECT_URI: AnyHttpUrl | None = Field(
        None,
        description="Where the provider sends the browser back: https://<your host>/api/auth/oidc/callback, as "
        "registered there. Unset: built from the request's own scheme and host (development).",
    )
    OIDC_HTTP_TIMEOUT_S: PositiveFloat = Field(10.0, description="Longest wait for the provider's answers.")
    OIDC_SIGN_IN_TIMEOUT_S: int = Field(
        600, ge=60, le=3600, description="How long a sign-in may take at the provider before it must start again."
    )
    TIERS: Tiers | None = Field(
        None, description="Tiers as JSON (see limits/tiers.py and the README). Unset: TIERS_FILE, else one tier."
    )
    TIERS_FILE: Path | None = Field(None, description="Tiers in a JSON or YAML file, when TIERS is unset.")

    # Per-user limits (need REDIS_URL; without it, none apply). Guests and full accounts apart.
    GUEST_REQUESTS_PER_MINUTE: PositiveInt = Field(10, description="Messages a guest may send a minute.")
    GUEST_CONCURRENT_STREAMS: PositiveInt = Field(2, description="Answers written for one guest at once.")
    GUEST_TOKENS_PER_DAY: PositiveInt = Field(
        50_000, description="Model tokens (prompt and answer) a guest may spend a day (UTC)."
    )
    GUESTS_PER_ADDRESS_PER_DAY: PositiveInt = Field(
        20, description="New guest sessions one client address may start a day (UTC)."
    )
    GUEST_TOKENS_PER_DAY_TOTAL: PositiveInt = Field(
        5_000_000, description="Model tokens all guests together may spend a day (UTC); accounts are not counted."
    )
    CONVERSATIONS_CREATED_PER_MINUTE: PositiveInt = Field(
        30, description="Conversations a user may start a minute (imports apart)."
    )
    IMPORTS_PER_HOUR: PositiveInt = Field(10, description="Imports of kept conversations a user may make an hour.")
    SHARES_CREATED_PER_HOUR: PositiveInt = Field(30, description="Share links a user may create an hour.")
    USER_REQUESTS_PER_MINUTE: PositiveInt = Field(30, description="Messages an account may send a minute.")
    USER_CONCURRENT_STREAMS: PositiveInt = Field(4, description="Answers written for one account at once.")
    USER_TOKENS_PER_DAY: PositiveInt = Field(
        500_000, description="Model tokens (prompt and answer) an account may spend a day (UTC)."
    )

    # Operators: accounts whose tier is an admin tier (limits/tiers.py; admin/set_tier.py for password accounts)
    ADMIN_SEES_FEEDBACK_CONTENT: bool = Field(
        False,
        description="The admin view's votes and their export carry each answer and its question. Off: votes, reasons "
        "and comments only.",
    )

    # Live answers
    REDIS_URL: SecretStr | None = Field(
        None,
        description="redis://host:6379/0. Unset: answers are followed and stopped within one process only "
        "(development; with several workers a reader or a Stop may land on another).",
    )
    GENERATION_LEASE_S: PositiveInt = Field(
        10, description="An answer's owner renews its lease every second; past this, the answer is interrupted."
    )
    GENERATION_SAVE_RETRY_S: PositiveInt = Field(
        120,
        description="How long an answer's owner retries saving its end while the database is out of reach (a "
        "restart): its readers get its last event once it is saved. Past this, it is left to the sweeper.",
    )
    GENERATION_KEEP_S: PositiveInt = Field(
        600, description="How long a finished answer's events stay replayable (then: from the database)."
    )

    # The conversation
    SYSTEM_PROMPT: str = "You are a helpful assistant. Answer clearly; use Markdown where it helps."
    MAX_MESSAGE_CHARS: PositiveInt = 32_000

    # Memory: what of a long conversation each prompt carries
    CONTEXT_WINDOW_TOKENS: int | None = Field(
        None,
        ge=1024,
        description="The model's context window: prompt and answer together. Unset: learnt at start from an "
        f"OpenAI-compatible server that says it (llama.cpp, vLLM, Ollama), else {CONTEXT_WINDOW_FALLBACK}.",
    )
    MEMORY_SUMMARIES: bool = Field(
        True, description="Summarise the older turns that no longer fit the window. Off: leave them out."
    )
    SUMMARY_TIMEOUT_S: PositiveFloat = Field(
        10.0, description="Longest a summary (made after an answer, in the background) may take; then abandoned."
    )
    SUMMARY_MAX_TOKENS: PositiveInt = Field(500, description="The longest summary.")
    TITLES_BY_MODEL: bool = Field(
        True,
        description="After a new conversation's first answer, the model writes its title (a few words, charged to "
        "the user). Off: the title stays the first words of the first message.",
    )
    TITLES_MODEL: str | None = Field(
        None,
        description="The id (in MODELS) of the model that writes titles, e.g. a cheaper one. Unset: the "
        "conversation's own model.",
    )
    MAX_BODY_BYTES: PositiveInt = 1_048_576
    MAX_OUTPUT_TOKENS: PositiveInt = 4096
    DEFAULT_MAX_TOKENS: PositiveInt = 1024

    # The user's saved memories (the remember tool)
    MEMORIES_MAX_TOKENS: PositiveInt = Field(
        500,
        description="The most of each prompt the user's saved memories (the remember tool) may take: the newest "
        "that fit.",
    )
    MEMORIES_MAX_PER_USER: int = Field(
        100, ge=1, le=10_000, description="Memories one user may keep; past it, remember asks them to delete some."
    )

    # Tools the model may call (Semantic Kernel functions; see the README's "Tools")
    TOOLS_ENABLED: bool = Field(True, description="Let the model call tools. Off: no answer offers any.")
    TOOLS_ALLOWED: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated names of the tools offered (e.g. current_time,calculate); empty: every "
        "built-in tool. An unknown name stops the api at start.",
    )
    TOOL_OUTPUT_MAX_TOKENS: int = Field(
        2000, ge=100, le=100_000, description="A tool's output beyond this is cut before it goes back to the model."
    )
    TOOLS_MAX_ROUNDS: int = Field(
        5,
        ge=1,
        le=50,
        description="Rounds of tool calls per answer; then one last call without tools, so that it ends in words.",
    )
    TOOLS_APPROVAL_TIMEOUT_S: float = Field(
        300, gt=0, le=3600, description="How long an answer waits for the user to allow a tool that acts; then denied."
    )

    # The operator's MCP servers, as tools (see the README's "Add your own MCP server")
    MCP_SERVERS_FILE: Path | None = Field(
        None,
        description="A JSON or YAML file listing the MCP servers whose tools are offered (tools/mcp/config.py). "
        "Checked at start: each mistake is a line, and stops the api. Unset: none.",
    )
    MCP_SESSION_IDLE_S: float = Field(
        300, gt=0, le=86_400, description="A user's session to an MCP server unused this long is closed."
    )
    MCP_RETRY_BASE_S: float = Field(
        1.0, gt=0, le=600, description="After an MCP server fails, the first wait before it is tried again (doubles)."
    )
    MCP_RETRY_MAX_S: float = Field(
        60.0, gt=0, le=3600, description="The longest wait before a failing MCP server is tried again."
    )
    # Documents attached to a conversation (see the README's "Documents")
    FILES_MAX_BYTES: int = Field(
        20_971_520, ge=1024, le=1_073_741_824, description="The largest file one upload may carry (nginx matches it)."
    )
    FILES_MAX_BYTES_PER_USER: int = Field(
        209_715_200, ge=1024, description="All of one user's files together; past it, uploads are refused."
    )
    FILES_MAX_PER_CONVERSATION: int = Field(20, ge=1, le=1000, description="Files one conversation may hold.")
    AZURE_OPENAI_EMBEDDING_DEPLOYMENT: str = Field(
        "text-embedding-3-small", min_length=1, description="The Azure deployment that embeds documents."
    )
    OPENAI_EMBEDDING_MODEL: str = Field(
        "text-embedding-3-small", min_length=1, description="The embedding model (MODEL_PROVIDER openai)."
    )
    EMBEDDING_DIMENSIONS: int = Field(
        1536,
        ge=16,
        le=2000,
        description="Length of each vector; the migration makes the column this long (pgvector's HNSW takes at "
        "most 2000). Checked against the database at start.",
    )
    EMBEDDING_BATCH_SIZE: int = Field(64, ge=1, le=2048, description="Chunks embedded per request.")
    EMBEDDING_MAX_RETRIES: int = Field(4, ge=0, le=20, description="Retries of a batch the service refused (429/5xx).")
    CHUNK_TOKENS: int = Field(400, ge=50, le=8000, description="A chunk's length in (estimated) tokens.")
    CHUNK_OVERLAP_TOKENS: int = Field(60, ge=0, le=2000, description="What each chunk repeats of the one before.")
    DOCUMENTS_WHOLE_MAX_TOKENS: int = Field(
        3000,
        ge=0,
        le=1_000_000,
        description="When a conversation's ready files take at most this many tokens (and a quarter of the model's "
        "window), their whole text goes in the prompt instead of being searched. 0: always searched.",
    )
    INGEST_CONCURRENCY: int = Field(2, ge=1, le=64, description="Files each worker process ingests at once.")
    INGEST_LEASE_S: int = Field(
        60, ge=5, le=3600, description="A job whose worker has not renewed it for this long is taken by another."
    )
    INGEST_MAX_ATTEMPTS: int = Field(3, ge=1, le=20, description="Claims of one job before its file fails.")
    PDF_MAX_PAGES: int = Field(2000, ge=1, le=100_000, description="A PDF with more pages fails.")
    EXTRACT_MAX_CHARS: int = Field(
        5_000_000, ge=1000, description="Text one file may yield (bounds what a compressed file can expand to)."
    )
    EXTRACT_TIMEOUT_S: float = Field(120, gt=0, le=3600, description="Longest a file's text extraction may take.")

    # Telemetry (OpenTelemetry; the exporter reads the other standard OTEL_* variables itself)
    OTEL_EXPORTER_OTLP_ENDPOINT: str | None = Field(
        None, description="An OTLP/HTTP endpoint (http://collector:4318): traces and metrics go there. Unset: off."
    )
    TELEMETRY_MODEL_SPANS: bool = Field(
        False,
        description="Semantic Kernel's gen_ai span around each model call, when telemetry is on. It keeps an "
        "answer's chunks until the end: telemetry costs +13% CPU per token with it, +3% without (bench/README.md). "
        "Off, the model call is left out of traces, not out of the metrics.",
    )
    TELEMETRY_CONTENT: bool = Field(
        False, description="Put prompts and answers in Semantic Kernel's spans. Sensitive: off by default."
    )

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

    @field_validator("CORS_ALLOW_ORIGINS", "TOOLS_ALLOWED", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("FORWARDED_ALLOW_IPS")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for entry in (part.strip() for part in value.split(",") if part.strip()):
            if entry == "*":
                raise ValueError("name the proxy's addresses or networks: '*' would let any client choose its own")
            try:
                ipaddress.ip_network(entry)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None
        return value

    @field_validator("AZURE_OPENAI_API_KEY", mode="before")
    @classmethod
    def _empty_key_means_entra_id(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator(
        "AUTH_SECRET",
        "REDIS_URL",
        "OPENAI_BASE_URL",
        "OPENAI_API_KEY",
        "OPENAI_MODEL",
        "CONTEXT_WINDOW_TOKENS",
        "REASONING_EFFORT",
        "OIDC_ISSUER",
        "OIDC_CLIENT_ID",
        "OIDC_CLIENT_SECRET",
        "OIDC_REDIRECT_URI",
        "TIERS",
        "TIERS_FILE",
        "MODELS",
        "TITLES_MODEL",
        "MCP_SERVERS_FILE",
        mode="before",
    )
    @classmethod
    def _empty_means_unset(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _provider_configured(self) -> Self:
        if self.MODELS is not None:
            return self._models_configured(self.MODELS)
        required = {
            "azure": ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_DEPLOYMENT"),
            "openai": ("OPENAI_MODEL",),
        }[self.MODEL_PROVIDER]
        for name in required:
            if getattr(self, name) is None:
                raise ValueError(f"{name}: Field required (MODEL_PROVIDER is {self.MODEL_PROVIDER})")
        return self

    def _models_configured(self, models: list[ModelEntry]) -> Self:
        problems = [] if models else ["MODELS: list at least one model (or leave MODELS unset)"]
        problems += problems_of(models, self.MODEL_PROVIDER)
        if self.AZURE_OPENAI_ENDPOINT is None and "azure" in {
            entry.provider or self.MODEL_PROVIDER for entry in models
        }:
            problems.append("AZURE_OPENAI_ENDPOINT: Field required (MODELS has an Azure model)")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @model_validator(mode="after")
    def _titles_model_known(self) -> Self:
        ids = [entry.id for entry in self.models]
        if self.TITLES_MODEL is not None and self.TITLES_MODEL not in ids:
            raise ValueError(f"TITLES_MODEL: no such model {self.TITLES_MODEL!r} (MODELS has: {', '.join(ids)})")
        return self

    @field_validator("OIDC_ISSUER")
    @classmethod
    def _issuer_is_a_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"https", "http"} or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("must be the issuer's URL, e.g. https://login.microsoftonline.com/<tenant id>/v2.0")
        return value

    @field_validator("OIDC_SCOPES")
    @classmethod
    def _asks_for_openid(cls, value: str) -> str:
        if "openid" not in value.split():
            raise ValueError("must include openid (an ID token is what signs the user in)")
        return value

    @model_validator(mode="after")
    def _ways_in(self) -> Self:
        if self.OIDC_ISSUER is not None and self.OIDC_CLIENT_ID is None:
            raise ValueError("OIDC_CLIENT_ID: Field required (OIDC_ISSUER is set)")
        if not (self.AUTH_GUESTS or self.AUTH_PASSWORDS or self.OIDC_ISSUER):
            raise ValueError("AUTH_GUESTS: with passwords off and no OIDC_ISSUER, nobody could get in")
        if self.TIERS is None and self.TIERS_FILE is not None:
            try:
                self.TIERS = read_tiers_file(self.TIERS_FILE)
            except (ValueError, ValidationError) as error:
                raise ValueError(f"TIERS_FILE: {_first_problem(error)}") from None
        return self

    @property
    def oidc_enabled(self) -> bool:
        return self.OIDC_ISSUER is not None

    @property
    def tiers(self) -> Tiers:
        return self.TIERS or ONE_TIER

    @model_validator(mode="after")
    def _tools_known(self) -> Self:
        from chat_api.tools.catalog import builtin_names  # the tools import these settings' module

        unknown = sorted(set(self.TOOLS_ALLOWED) - set(builtin_names()))
        if unknown:
            raise ValueError(f"TOOLS_ALLOWED: no such tool: {', '.join(unknown)} (known: {', '.join(builtin_names())})")
        return self

    @model_validator(mode="after")
    def _mcp_servers_read(self) -> Self:
        from chat_api.tools.mcp.config import read_servers_file  # the tools import these settings' module

        if self.MCP_SERVERS_FILE is not None:
            tiers = {tier.name for tier in self.tiers.tiers}
            self._mcp_servers = read_servers_file(self.MCP_SERVERS_FILE, tiers)
        return self

    @property
    def mcp_servers(self) -> "list[McpServer]":
        return list(self._mcp_servers)

    @property
    def workers(self) -> int:
        if self.WEB_CONCURRENCY:
            return self.WEB_CONCURRENCY
        return max(1, len(os.sched_getaffinity(0)) // self.API_REPLICAS)

    @property
    def telemetry_enabled(self) -> bool:
        return bool(self.OTEL_EXPORTER_OTLP_ENDPOINT) and os.environ.get("OTEL_SDK_DISABLED", "").lower() != "true"

    @property
    def uses_entra_id(self) -> bool:
        return self.MODEL_PROVIDER == "azure" and self.AZURE_OPENAI_API_KEY is None

    @property
    def model(self) -> str:
        """The default model's id: without MODELS, the deployment (Azure) or model (OpenAI) every answer comes
        from, as the api reports it."""
        if self.MODELS:
            return self.MODELS[0].id
        name = self.AZURE_OPENAI_DEPLOYMENT if self.MODEL_PROVIDER == "azure" else self.OPENAI_MODEL
        assert name is not None  # checked at start (_provider_configured)
        return name

    @cached_property
    def models(self) -> list[ModelEntry]:
        """The models offered, the default first: MODELS, else the one model the other settings name (read on
        every request: built once)."""
        if self.MODELS:
            return self.MODELS
        return [
            ModelEntry(
                id=self.model,
                provider=self.MODEL_PROVIDER,
                context_window=self.CONTEXT_WINDOW_TOKENS,
                reasoning=self.MODEL_REASONING,
                vision=True,  # as before MODELS: images go to the one model there is
            )
        ]

    def model_provider(self, entry: ModelEntry) -> Literal["azure", "openai"]:
        return entry.provider or self.MODEL_PROVIDER

    @property
    def embedding_model(self) -> str:
        """The deployment (Azure) or model (OpenAI) that embeds documents."""
        return self.AZURE_OPENAI_EMBEDDING_DEPLOYMENT if self.MODEL_PROVIDER == "azure" else self.OPENAI_EMBEDDING_MODEL

    @property
    def upstream_address(self) -> str:
        """The upstream's `host[:port]`, as written in its endpoint: kept out of every log line."""
        return self._address_of(self.MODEL_PROVIDER)

    @property
    def upstream_addresses(self) -> list[str]:
        """Every provider's address the models use (MODELS may mix them)."""
        return sorted({self._address_of(self.model_provider(entry)) for entry in self.models})

    def _address_of(self, provider: str) -> str:
        url = self.AZURE_OPENAI_ENDPOINT if provider == "azure" else self.OPENAI_BASE_URL
        return urlsplit(str(url or OPENAI_DEFAULT_BASE_URL)).netloc.rpartition("@")[2]


def _first_problem(error: ValueError | ValidationError) -> str:
    if isinstance(error, ValidationError):
        first = error.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return str(error)


def describe_error(error: ValidationError) -> str:
    """One line naming the first bad variable, without its value (it may be a secret)."""
    first = error.errors(include_url=False, include_input=False)[0]
    if not first["loc"]:  # a check across variables, whose message starts with the one it names
        return f"configuration error: {first['msg'].removeprefix('Value error, ')}"
    name = ".".join(str(part) for part in first["loc"])
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
