"""GET /api/models: the models answers may come from (the default first) and what each takes, so a client
offers the right options and a picker."""

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from chat_api.auth.deps import CurrentUser
from chat_api.chat.capabilities import OptionName, capabilities
from chat_api.chat.schemas import ReasoningEffort
from chat_api.http.errors import error_docs
from chat_api.stateless.deps import ChatServiceDep

router = APIRouter(prefix="/api", tags=["chat"])


class ModelView(BaseModel):
    id: str = Field(
        description="What a conversation names it by (`model`). Without MODELS: the Azure deployment, or the "
        "model's name on an OpenAI-compatible server."
    )
    label: str = Field(description="What a picker shows.")
    default: bool = Field(description="Answers come from it unless a conversation picks another (the first).")
    provider: Literal["azure", "openai"]
    reasoning: bool = Field(description="A reasoning model: no temperature or top_p; a reasoning effort instead.")
    options: list[OptionName] = Field(description="The chat request options this model takes.")
    reasoning_efforts: list[ReasoningEffort] = Field(description="Empty unless the model reasons.")
    default_reasoning_effort: ReasoningEffort | None = Field(description="Unset: the model's own default.")
    context_window: int = Field(description="Tokens the model holds, prompt and answer together.")
    max_output_tokens: int = Field(description="The largest options.max_tokens accepted.")
    default_max_tokens: int = Field(description="The answer's limit when options.max_tokens is unset.")
    vision: bool = Field(description="It takes images.")
    tools: bool = Field(description="It may call tools.")


class ModelsView(BaseModel):
    models: list[ModelView] = Field(description="The default first.")


@router.get(
    "/models",
    summary="The models answers may come from, and the options each takes",
    responses=error_docs({401: "No valid access token."}),
)
async def models(_: CurrentUser, service: ChatServiceDep) -> ModelsView:
    settings = service.settings
    views = []
    for model in service.models:
        entry = model.entry
        taken = capabilities(settings, entry)
        views.append(
            ModelView(
                id=entry.id,
                label=entry.shown_as,
                default=model is service.models.default,
                provider=settings.model_provider(entry),
                reasoning=taken.reasoning,
                options=list(taken.options),
                reasoning_efforts=list(taken.reasoning_efforts),
                default_reasoning_effort=taken.default_reasoning_effort,
                context_window=model.upstream.window.tokens,
                max_output_tokens=entry.max_output_tokens or settings.MAX_OUTPUT_TOKENS,
                default_max_tokens=min(
                    settings.DEFAULT_MAX_TOKENS, entry.max_output_tokens or settings.MAX_OUTPUT_TOKENS
                ),
                vision=entry.vision,
                tools=entry.tools,
            )
        )
    return ModelsView(models=views)
