"""Azure OpenAI's embeddings: the request it accepts, the vectors, and the body it sends.

Vectors are deterministic and their cosine similarity follows word overlap, so retrieval tests mean something:
a hashed bag of words (lower-cased words, common English stop words left out, each word's count damped as
1 + ln n), each word adding ±weight to one of ``dimensions`` coordinates chosen by its hash, then normalised.
Two texts with no word in common are near orthogonal; the more words they share, the closer they are. Token
arrays (an input of token ids) hash each id as a word.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import sys
from array import array
from collections import Counter
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from emulator.protocol import BadRequest
from emulator.tokens import count_tokens

MAX_INPUTS = 2048
MAX_INPUT_TOKENS = 8192
_WORD = re.compile(r"\w+")
_STOP_WORDS_TEXT = """a an and are as at be but by do does for from had has have he her his how i if in into is
it its of on or our she so than that the their them then there these they this to was we were what when where
which who why will with you your"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


class EmbeddingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input: str | list[str] | list[int] | list[list[int]]
    model: str | None = None
    dimensions: int | None = Field(None, ge=1)
    encoding_format: Literal["float", "base64"] = "float"
    user: str | None = None

    @model_validator(mode="after")
    def _reject_empty_input(self) -> EmbeddingRequest:
        if self.input in ("", []) or any(item in ("", []) for item in self.inputs):
            raise ValueError(
                "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."
            )
        return self

    @property
    def inputs(self) -> list[str | list[int]]:
        """One entry per vector asked for: a text, or a token array."""
        value = self.input
        if isinstance(value, str):
            return [value]
        if value and all(isinstance(item, int) for item in value):
            return [value]  # type: ignore[list-item]  # one token array
        return list(value)  # type: ignore[arg-type]


def parse_request(body: bytes) -> EmbeddingRequest:
    try:
        request = EmbeddingRequest.model_validate_json(body)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        if error["type"] == "json_invalid":
            raise BadRequest("We could not parse the JSON body of your request.") from None
        if error["type"] == "extra_forbidden":
            raise BadRequest(f"Unrecognized request argument supplied: {error['loc'][0]}") from None
        field = str(error["loc"][0]) if error["loc"] else None
        message = error["msg"].removeprefix("Value error, ")
        raise BadRequest(f"Invalid value for '{field}': {message}" if field else message, field) from None
    if len(request.inputs) > MAX_INPUTS:
        raise BadRequest(f"Too many inputs. The max number of inputs is {MAX_INPUTS}.", "input")
    return request


def input_tokens(item: str | list[int]) -> int:
    return len(item) if isinstance(item, list) else count_tokens(item)


def check_lengths(inputs: list[str | list[int]]) -> None:
    for item in inputs:
        tokens = input_tokens(item)
        if tokens > MAX_INPUT_TOKENS:
            raise BadRequest(
                f"This model's maximum context length is {MAX_INPUT_TOKENS} tokens, however you requested {tokens} "
                f"tokens ({tokens} in your prompt; 0 for the completion). Please reduce your prompt; or completion "
                "length."
            )


def check_dimensions(asked: int | None, native: int) -> int:
    """The vector length to send: what the request asks for, at most the model's own."""
    if asked is None:
        return native
    if asked > native:
        raise BadRequest(f"Invalid value for 'dimensions': {asked} is more than the model's {native}.", "dimensions")
    return asked


def _features(item: str | list[int]) -> list[str]:
    if isinstance(item, list):
        return [f"#{token}" for token in item]
    words = [word for word in _WORD.findall(item.lower()) if word not in STOP_WORDS]
    return words or [item.strip().lower() or " "]  # punctuation alone still gets a vector of its own


def embed(item: str | list[int], dimensions: int) -> array[float]:
    """A unit vector (float32) for a text or a token array."""
    vector = [0.0] * dimensions
    for feature, count in Counter(_features(item)).items():
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        coordinate = int.from_bytes(digest[:7], "little") % dimensions
        vector[coordinate] += (1.0 + math.log(count)) * (1.0 if digest[7] & 1 else -1.0)
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return array("f", (value / norm for value in vector))


def _encode(vector: array[float], encoding: str) -> Any:
    if encoding == "float":
        return vector.tolist()
    if sys.byteorder != "little":  # the service sends little-endian float32
        vector = array("f", vector)
        vector.byteswap()
    return base64.b64encode(vector.tobytes()).decode()


def response_body(vectors: list[array[float]], encoding: str, model: str, prompt_tokens: int) -> bytes:
    data = [
        {"object": "embedding", "index": index, "embedding": _encode(vector, encoding)}
        for index, vector in enumerate(vectors)
    ]
    return orjson.dumps(
        {
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
        }
    )
