"""The models an operator offers (`MODELS`, a JSON list): configuration only, checked at start. The settings
read it, so it imports nothing of the app."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt

Provider = Literal["azure", "openai"]


class ModelEntry(BaseModel):
    """One model users may pick. `deployment` (Azure) or `model` (an OpenAI-compatible server) is the name the
    upstream knows it by; unset, the id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")
    label: str | None = Field(None, min_length=1, max_length=100, description="What the picker shows; unset: the id.")
    provider: Provider | None = Field(None, description="Unset: MODEL_PROVIDER.")
    deployment: str | None = Field(None, min_length=1, max_length=200)
    model: str | None = Field(None, min_length=1, max_length=200)
    context_window: int | None = Field(
        None, ge=1024, description="Unset: CONTEXT_WINDOW_TOKENS, else learnt from the server, else the fallback."
    )
    max_output_tokens: PositiveInt | None = Field(None, description="Unset: MAX_OUTPUT_TOKENS.")
    reasoning: bool = False
    vision: bool = False
    tools: bool = True

    @property
    def shown_as(self) -> str:
        return self.label or self.id

    @property
    def upstream_name(self) -> str:
        """The deployment (Azure) or model (OpenAI-compatible) requests name."""
        return self.deployment or self.model or self.id


def problems_of(entries: list[ModelEntry], default_provider: Provider) -> list[str]:
    """Each mistake across the list, one line each: a repeated id, a name the provider does not use."""
    found: list[str] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"MODELS.{index} ({entry.id})"
        if entry.id in seen:
            found.append(f"{where}: the id is used twice")
        seen.add(entry.id)
        provider = entry.provider or default_provider
        if provider == "azure" and entry.model is not None:
            found.append(f"{where}: an Azure model takes `deployment`, not `model`")
        if provider == "openai" and entry.deployment is not None:
            found.append(f"{where}: an OpenAI-compatible model takes `model`, not `deployment`")
    return found
