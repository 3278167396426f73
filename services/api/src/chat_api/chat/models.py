"""The models this deployment offers (MODELS, else the one model the settings name), each on its upstream: one
client per provider, shared by its models; each model's context window learnt (or configured) and lowered on a
refusal on its own. The services take this registry and name the model a request is for."""

import contextlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import openai

from chat_api.chat.model_entries import ModelEntry, Provider
from chat_api.chat.upstream import Upstream, open_client, upstream_on
from chat_api.http.errors import ApiError
from chat_api.settings import Settings


@dataclass(frozen=True)
class Model:
    entry: ModelEntry
    upstream: Upstream

    @property
    def id(self) -> str:
        return self.entry.id


def unknown_model(wanted: str, ids: list[str]) -> ApiError:
    return ApiError(400, "invalid_request", f"model: no such model {wanted!r}; available: {', '.join(ids)}")


def model_entry(settings: Settings, wanted: str | None) -> ModelEntry:
    """The configured model `wanted` (None: the default); 400 naming the available ids when there is none."""
    entries = settings.models
    if wanted is None:
        return entries[0]
    for entry in entries:
        if entry.id == wanted:
            return entry
    raise unknown_model(wanted, [entry.id for entry in entries])


class Models:
    def __init__(self, models: list[Model]) -> None:
        assert models, "at least one model (the settings check it)"
        self._by_id = {model.id: model for model in models}
        self.default = models[0]

    def __iter__(self) -> Iterator[Model]:
        return iter(self._by_id.values())

    @property
    def ids(self) -> list[str]:
        return list(self._by_id)

    def get(self, wanted: str | None) -> Model:
        """The model `wanted` (None: the default); 400 naming the available ids when there is none."""
        if wanted is None:
            return self.default
        model = self._by_id.get(wanted)
        if model is None:
            raise unknown_model(wanted, self.ids)
        return model

    @property
    def embedding_upstream(self) -> Upstream:
        """The upstream whose client embeds documents (one of MODEL_PROVIDER's models; else none embeds)."""
        return next((model.upstream for model in self if model.upstream.embeddings is not None), self.default.upstream)

    def find(self, wanted: str | None) -> Model:
        """As `get`, but a model no longer configured (a conversation's old choice) is the default."""
        return self._by_id.get(wanted or "", self.default)

    @classmethod
    def of(cls, upstream: Upstream, settings: Settings) -> "Models":
        """The default model alone on `upstream` (tests, and services built on one upstream)."""
        return cls([Model(settings.models[0], upstream)])


@asynccontextmanager
async def open_models(settings: Settings) -> AsyncIterator[Models]:
    """Every configured model on its provider's client; the clients closed at the end."""
    async with contextlib.AsyncExitStack() as stack:
        clients: dict[Provider, openai.AsyncOpenAI] = {}
        models = []
        for entry in settings.models:
            provider = settings.model_provider(entry)
            if provider not in clients:
                clients[provider] = await stack.enter_async_context(open_client(settings, provider))
            models.append(Model(entry, await upstream_on(clients[provider], entry, settings)))
        yield Models(models)
