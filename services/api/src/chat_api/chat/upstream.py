"""Semantic Kernel setup: the model client the app owns (Azure OpenAI, or any server that speaks OpenAI's API),
the chat service on top, the chat history."""

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
import openai
from semantic_kernel.connectors.ai.open_ai import (
    AzureChatCompletion,
    AzureTextEmbedding,
    OpenAIChatCompletion,
    OpenAIChatPromptExecutionSettings,
    OpenAITextEmbedding,
)
from semantic_kernel.connectors.ai.open_ai.services.open_ai_chat_completion_base import OpenAIChatCompletionBase
from semantic_kernel.connectors.ai.open_ai.services.open_ai_text_embedding_base import OpenAITextEmbeddingBase
from semantic_kernel.contents import AuthorRole, ChatHistory, ChatMessageContent, ImageContent, TextContent

from chat_api.chat import response_tracking
from chat_api.chat.alternation import alternating
from chat_api.chat.context_window import ContextWindow, learn_context_window
from chat_api.chat.model_entries import ModelEntry, Provider
from chat_api.chat.parts import steps_of
from chat_api.chat.prompt_settings import AzureSettings, OpenAISettings
from chat_api.chat.schemas import ChatRequest
from chat_api.settings import Settings

if TYPE_CHECKING:
    from azure.identity.aio import DefaultAzureCredential

ENTRA_ID_SCOPE = "https://cognitiveservices.azure.com/.default"
NO_KEY = "none"  # the SDK insists on a key; local model servers take any


@dataclass(frozen=True)
class Upstream:
    """What the lifespan creates once and every request shares."""

    chat: OpenAIChatCompletionBase
    model: str  # the Azure deployment, or the OpenAI model
    settings_class: type[OpenAIChatPromptExecutionSettings]
    window: ContextWindow  # learnt at start; lowered if the server refuses a prompt as too long
    reasoning: bool  # MODEL_REASONING: max_completion_tokens and a reasoning effort, no temperature or top_p
    embeddings: OpenAITextEmbeddingBase | None = None  # documents' (the same client, its own deployment or model)

    def limited_to(self, tokens: int) -> OpenAIChatPromptExecutionSettings:
        """Settings for an answer of at most `tokens`, as this model takes that limit (the summaries')."""
        if self.reasoning:
            return self.settings_class(max_completion_tokens=tokens, reasoning_effort="low")
        return self.settings_class(max_tokens=tokens)


@asynccontextmanager
async def open_upstream(settings: Settings) -> AsyncIterator[Upstream]:
    """The default model's upstream on a client of its own (the app opens every model: `chat.models`)."""
    entry = settings.models[0]
    async with open_client(settings, settings.model_provider(entry)) as client:
        yield await upstream_on(client, entry, settings)


async def upstream_on(client: openai.AsyncOpenAI, entry: ModelEntry, settings: Settings) -> Upstream:
    """The model `entry` on a provider's `client` (shared by that provider's models), its window learnt. The
    documents' embeddings come with the models of MODEL_PROVIDER (whose settings name the embedding model)."""
    chat: OpenAIChatCompletionBase
    settings_class: type[OpenAIChatPromptExecutionSettings]
    embeddings: OpenAITextEmbeddingBase | None = None
    embeds = settings.model_provider(entry) == settings.MODEL_PROVIDER
    with _environment_hidden_from_semantic_kernel():
        if isinstance(client, openai.AsyncAzureOpenAI):
            chat = AzureChatCompletion(deployment_name=entry.upstream_name, async_client=client)
            if embeds:
                embeddings = AzureTextEmbedding(deployment_name=settings.embedding_model, async_client=client)
            settings_class = AzureSettings
        else:
            chat = OpenAIChatCompletion(ai_model_id=entry.upstream_name, async_client=client)
            if embeds:
                embeddings = OpenAITextEmbedding(ai_model_id=settings.embedding_model, async_client=client)
            settings_class = OpenAISettings
    _load_what_the_first_request_would(client)
    window = await learn_context_window(settings, entry)
    return Upstream(
        chat=chat,
        model=entry.upstream_name,
        settings_class=settings_class,
        window=window,
        reasoning=entry.reasoning,
        embeddings=embeddings,
    )


@asynccontextmanager
async def open_client(settings: Settings, provider: Provider) -> AsyncIterator[openai.AsyncOpenAI]:
    """A provider's client (our timeouts; retries are ours too, see chat.service), closed at the end."""
    timeout = openai.Timeout(settings.UPSTREAM_TIMEOUT_S, connect=settings.UPSTREAM_CONNECT_TIMEOUT_S)
    http_client = openai.DefaultAsyncHttpxClient(event_hooks={"response": [response_tracking.remember]})
    client: openai.AsyncOpenAI
    credential: DefaultAzureCredential | None = None
    if provider == "openai":
        key = settings.OPENAI_API_KEY
        client = openai.AsyncOpenAI(
            base_url=str(settings.OPENAI_BASE_URL) if settings.OPENAI_BASE_URL is not None else None,
            api_key=key.get_secret_value() if key is not None else NO_KEY,
            timeout=timeout,
            max_retries=0,
            http_client=http_client,
        )
    else:
        token_provider: Callable[[], Awaitable[str]] | None = None
        if settings.AZURE_OPENAI_API_KEY is None:
            credential, token_provider = _entra_id_credential()
        key = settings.AZURE_OPENAI_API_KEY
        client = openai.AsyncAzureOpenAI(
            azure_endpoint=str(settings.AZURE_OPENAI_ENDPOINT),
            api_version=settings.AZURE_OPENAI_API_VERSION,
            api_key=key.get_secret_value() if key is not None else None,
            azure_ad_token_provider=token_provider,
            timeout=timeout,
            max_retries=0,
            http_client=http_client,
        )
    try:
        yield client
    finally:
        await client.close()
        if credential is not None:
            await credential.close()


def _entra_id_credential() -> tuple["DefaultAzureCredential", Callable[[], Awaitable[str]]]:
    """This machine's Azure identity, and tokens for Azure OpenAI from it. azure-identity is imported here, not
    at start: only Entra ID needs it, and it is large."""
    from azure.identity.aio import DefaultAzureCredential, get_bearer_token_provider

    credential = DefaultAzureCredential()
    return credential, get_bearer_token_provider(credential, ENTRA_ID_SCOPE)


def _load_what_the_first_request_would(client: openai.AsyncOpenAI) -> None:
    """The SDK imports its chat resources at first use, and the HTTP client anyio's asyncio backend at its
    first I/O: about 70 ms, which the first user of each worker would otherwise wait for (measured)."""
    _ = client.chat.completions
    anyio.get_cancelled_exc_class()


@contextmanager
def _environment_hidden_from_semantic_kernel() -> Iterator[None]:
    """SK's own settings read AZURE_OPENAI_* and OPENAI_* from the environment even when handed a client, and
    refuse an Azure endpoint that is not https (a local gateway, the emulator). Our Settings are the one source
    of configuration, and the client we pass carries all of it, so SK must not see those variables."""
    hidden = {name: os.environ.pop(name) for name in list(os.environ) if name.startswith(("AZURE_OPENAI_", "OPENAI_"))}
    try:
        yield
    finally:
        os.environ.update(hidden)


def build_history(request: ChatRequest, system_prompt: str) -> ChatHistory:
    """One system message (our system prompt, then any summary or system entry of the history), then the
    history's turns and the message, alternating from the user (see chat.alternation). A question's images go
    with its text, as image contents (data URLs)."""
    prompt = alternating(system_prompt, request.history, request.message, request.images)
    history = ChatHistory(system_message=prompt.system) if prompt.system else ChatHistory()
    for turn in prompt.turns:
        images = [ImageContent(data_uri=image.data_uri) for image in turn.images if image.data]
        if turn.parts:
            for step in steps_of(turn.parts):
                history.add_message(step)
        elif images:
            items: list[Any] = [TextContent(text=turn.content), *images]
            history.add_message(ChatMessageContent(role=AuthorRole.USER, items=items))
        else:
            history.add_message(ChatMessageContent(role=AuthorRole(turn.role), content=turn.content))
    return history


def execution_settings(
    request: ChatRequest,
    settings: Settings,
    kind: type[OpenAIChatPromptExecutionSettings],
    reasoning: bool | None = None,
) -> OpenAIChatPromptExecutionSettings:
    """What this model accepts: a reasoning model takes `max_completion_tokens` (its reasoning and its answer
    together) and a reasoning effort, and refuses `max_tokens`, `temperature` and `top_p` (the request's options
    were checked against that, see chat.capabilities). `reasoning` unset: the default model's."""
    options = request.options
    most = options.max_tokens or settings.DEFAULT_MAX_TOKENS
    if settings.models[0].reasoning if reasoning is None else reasoning:
        return kind(max_completion_tokens=most, reasoning_effort=options.reasoning_effort or settings.REASONING_EFFORT)
    return kind(max_tokens=most, temperature=options.temperature, top_p=options.top_p)
