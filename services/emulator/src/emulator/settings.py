"""The emulator's configuration, read once from EMULATOR_* environment variables."""

from functools import lru_cache

from pydantic import Field, NonNegativeFloat, PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict

from emulator.models import Server
from emulator.replies import Padding


class Pacing(BaseSettings):
    """How fast replies stream. Every field can be overridden per request by a directive."""

    model_config = SettingsConfigDict(env_prefix="EMULATOR_", extra="ignore")

    ttft_ms: NonNegativeFloat = Field(250.0, description="Delay before the first content token.")
    token_ms: NonNegativeFloat = Field(25.0, description="Delay between content chunks.")
    jitter_ms: NonNegativeFloat = Field(0.0, description="Uniform random extra delay added to each gap.")
    tokens_per_chunk: PositiveInt = Field(1, description="Tokens carried by each content chunk.")


class Settings(Pacing):
    api_key: str = Field(
        "emulator-key",
        min_length=1,
        description="The key clients must send as `api-key` or `Authorization: Bearer`.",
    )
    deployments: str = Field(
        "",
        description="Comma-separated deployment names; empty accepts any name (404 otherwise).",
    )
    model: str = Field("gpt-4o-2024-08-06", description="The model name reported in responses.")
    reasoning_deployments: str = Field(
        "",
        description="Comma-separated deployment (or model) names that reason, as Azure's o-series and gpt-5 do: "
        "they refuse max_tokens, temperature and top_p, and report reasoning tokens.",
    )
    vision_deployments: str = Field(
        "",
        description="Comma-separated deployment (or model) names that accept image input; the others answer an "
        "image part with Azure's 400. Empty: every deployment has vision.",
    )
    embedding_model: str = Field("text-embedding-3-small", description="The model name embeddings report.")
    embedding_dimensions: PositiveInt = Field(
        1536, description="Length of an embedding when the request does not ask for `dimensions` (and its maximum)."
    )
    context_window: PositiveInt | None = Field(
        None, description="Refuse a prompt (and answer) longer than this, as the imitated server does. Unset: none."
    )
    imitates: Server = Field(
        "azure",
        description="Whose context-length refusal to send, and which server's endpoint reports the window on the "
        "OpenAI-compatible route: azure (none), llama.cpp (/props), vllm (/v1/models), ollama (/api/show).",
    )
    reply_tokens: PositiveInt | None = Field(
        None, description="Pad or cut every reply to this many tokens (benchmarks); unset: natural length."
    )
    reply_padding: Padding = Field(
        "words",
        description="What pads a reply to reply_tokens: `words` (one long paragraph of filler words) or `replies` "
        "(further parts, each with a heading, a list, code and a table, as a long answer has).",
    )
    hang_s: NonNegativeFloat = Field(600.0, description="How long the `hang` fault waits before answering.")
    log_size: PositiveInt = Field(2000, description="How many recent requests /_emulator/requests keeps.")
    log_level: str = Field("INFO", description="Level of the one JSON line logged per request.")

    @property
    def deployment_names(self) -> frozenset[str]:
        return _names(self.deployments)

    @property
    def reasoning_names(self) -> frozenset[str]:
        return _names(self.reasoning_deployments)

    @property
    def vision_names(self) -> frozenset[str] | None:
        return _names(self.vision_deployments) or None


def _names(listed: str) -> frozenset[str]:
    return frozenset(name.strip() for name in listed.split(",") if name.strip())


@lru_cache
def get_settings() -> Settings:
    return Settings()
