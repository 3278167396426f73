"""Texts to vectors through Semantic Kernel's embedding service, in batches, with retries: a 429 waits for its
`Retry-After` (up to a bound), a 5xx or a lost connection backs off; anything else, or retries run out, raises
`EmbeddingFailed` with a reason fit for the file's owner."""

import asyncio
import logging
import random
from collections.abc import Sequence
from typing import Final

import numpy as np
import openai
from semantic_kernel.connectors.ai.open_ai import OpenAIEmbeddingPromptExecutionSettings
from semantic_kernel.connectors.ai.open_ai.services.open_ai_text_embedding_base import OpenAITextEmbeddingBase
from semantic_kernel.exceptions import ServiceResponseException

logger = logging.getLogger("chat_api.documents")

BACKOFF_BASE_S: Final = 0.5
RETRY_AFTER_MAX_S: Final = 60.0  # a longer wait means the quota is gone for now: fail, say so


class EmbeddingFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _retry_after(error: openai.APIStatusError) -> float | None:
    value = error.response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class Embedder:
    def __init__(self, service: OpenAITextEmbeddingBase, dimensions: int, max_retries: int) -> None:
        self.service = service
        self.dimensions = dimensions
        self.max_retries = max_retries

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One vector (float32, unit length as the service gives it) per text, in one request."""
        settings = OpenAIEmbeddingPromptExecutionSettings(dimensions=self.dimensions)
        for attempt in range(self.max_retries + 1):
            try:
                raw = await self.service.generate_raw_embeddings(list(texts), settings)
            except ServiceResponseException as wrapped:
                wait = self._wait_before_retry(wrapped.__cause__, attempt)
                logger.warning("embedding request failed (attempt %d): %s", attempt + 1, type(wrapped.__cause__))
                await asyncio.sleep(wait)
                continue
            vectors = np.asarray(raw, dtype=np.float32)
            if vectors.shape != (len(texts), self.dimensions):
                raise EmbeddingFailed(
                    f"The embedding service answered vectors of shape {vectors.shape}, not {self.dimensions} long."
                )
            return vectors
        raise EmbeddingFailed(f"The embedding service kept failing ({self.max_retries + 1} attempts).")

    def _wait_before_retry(self, error: BaseException | None, attempt: int) -> float:
        if attempt >= self.max_retries:
            raise EmbeddingFailed(self._reason(error))
        if isinstance(error, openai.RateLimitError):
            if error.code == "insufficient_quota":
                raise EmbeddingFailed("The embedding service's quota is used up.")
            asked = _retry_after(error)
            if asked is not None:
                if asked > RETRY_AFTER_MAX_S:
                    raise EmbeddingFailed(f"The embedding service is rate limited for {asked:.0f} s.")
                return asked
        elif not isinstance(error, openai.InternalServerError | openai.APIConnectionError):
            raise EmbeddingFailed(self._reason(error))
        return float(BACKOFF_BASE_S * 2**attempt * (0.5 + random.random()))  # noqa: S311 - jitter, not a secret

    @staticmethod
    def _reason(error: BaseException | None) -> str:
        if isinstance(error, openai.APIStatusError):
            return f"The embedding service refused the text (HTTP {error.status_code})."
        if isinstance(error, openai.APITimeoutError):
            return "The embedding service did not answer in time."
        if isinstance(error, openai.APIConnectionError):
            return "The embedding service could not be reached."
        return "The embedding service failed."
