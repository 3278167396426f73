"""GET /api/models: the model answers come from and what it takes, so a client offers the right options."""

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
    id: str = Field(description="The Azure deployment, or the model's name on an OpenAI-compatible server.")
    provider: Literal["azure", "openai"]
    reasoning: bool = Field(description="A reasoning model: no temperature or top_p; a reasoning effort instead.")
    options: list[OptionName] = Field(description="The chat request options this model takes.")
    reasoning_efforts: list[ReasoningEffort] = Field(description="Empty unless the model reasons.")
    default_reasoning_effort: ReasoningEffort | None = Field(description="Unset: the model's own default.")
    context_window: int = Field(description="Tokens the model holds, prompt and answer together.")
    max_output_tokens: int = Field(description="The largest options.max_tokens accepted.")
    default_max_tokens: int = Field(description="The answer's limit when options.max_tokens is unset.")


class ModelsView(BaseModel):
    models: list[ModelView]


@router.get(
    "/models",
    summary="The model and the options it takes",
    responses=error_docs({401: "No valid access token."}),
)
async def models(_: CurrentUser, service: ChatServiceDep) -> ModelsView:
    settings = service.settings
    model = capabilities(settings)
    view = ModelView(
        id=service.model,
        provider=settings.MODEL_PROVIDER,
        reasoning=model.reasoning,
        options=list(model.options),
        reasoning_efforts=list(model.reasoning_efforts),
        default_reasoning_effort=model.default_reasoning_effort,
        context_window=service.upstream.window.tokens,
        max_output_tokens=settings.MAX_OUTPUT_TOKENS,
        default_max_tokens=settings.DEFAULT_MAX_TOKENS,
    )
    return ModelsView(models=[view])
