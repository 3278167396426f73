"""What the configured model takes, and a request's options checked against it: a reasoning model (Azure's
o-series, the gpt-5 family) refuses `temperature` and `top_p`, and only a reasoning model takes a reasoning
effort. An option the model cannot honour is refused here with a 422 that says so, not sent upstream."""

from dataclasses import dataclass
from typing import Literal, get_args

from chat_api.chat.model_entries import ModelEntry
from chat_api.chat.schemas import Options, ReasoningEffort
from chat_api.http.errors import ApiError
from chat_api.settings import Settings

OptionName = Literal["max_tokens", "temperature", "top_p", "reasoning_effort"]
REASONING_EFFORTS: tuple[ReasoningEffort, ...] = get_args(ReasoningEffort)


@dataclass(frozen=True)
class Capabilities:
    reasoning: bool
    options: tuple[OptionName, ...]  # the request options this model takes
    reasoning_efforts: tuple[ReasoningEffort, ...]
    default_reasoning_effort: ReasoningEffort | None


def capabilities(settings: Settings, model: ModelEntry | None = None) -> Capabilities:
    """What `model` (unset: the default) takes."""
    if (model or settings.models[0]).reasoning:
        return Capabilities(True, ("max_tokens", "reasoning_effort"), REASONING_EFFORTS, settings.REASONING_EFFORT)
    return Capabilities(False, ("max_tokens", "temperature", "top_p"), (), None)


def check_options(options: Options, settings: Settings, model: ModelEntry | None = None) -> None:
    """A 422 naming the first option set that `model` (unset: the default) does not take."""
    model = model or settings.models[0]
    taken = capabilities(settings, model).options
    names: tuple[OptionName, ...] = ("temperature", "top_p", "reasoning_effort")
    for name in names:
        if getattr(options, name) is not None and name not in taken:
            reason = (
                f"this model ({model.id}) reasons and does not take it; use options.reasoning_effort"
                if model.reasoning
                else f"only a reasoning model takes it, and this one ({model.id}) does not reason"
            )
            raise ApiError(422, "invalid_request", f"options.{name}: {reason}")
