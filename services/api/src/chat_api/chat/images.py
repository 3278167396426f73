"""Images a user message shows the model: their size as the model gets them (Azure's rule: within 2048 x 2048,
then the short side at most 768) and what they take of the prompt (85 tokens, plus 170 for each 512-pixel tile,
at high detail). They reach the model as Semantic Kernel's `ImageContent` (a data URL) in the user message."""

import base64
import math
import uuid
from dataclasses import dataclass
from typing import Final

MAX_SIDE: Final = 2048
MAX_SHORT_SIDE: Final = 768
BASE_TOKENS: Final = 85
TILE_TOKENS: Final = 170
TILE: Final = 512


def model_size(width: int, height: int) -> tuple[int, int]:
    """The size the model sees an image of `width` x `height` at (never scaled up)."""
    scale = min(1.0, MAX_SIDE / max(width, height))
    scale *= min(1.0, MAX_SHORT_SIDE / max(1.0, min(width, height) * scale))
    return max(1, round(width * scale)), max(1, round(height * scale))


def image_tokens(width: int, height: int) -> int:
    """What an image of `width` x `height` takes of the prompt at high detail."""
    scaled_width, scaled_height = model_size(width, height)
    return BASE_TOKENS + TILE_TOKENS * math.ceil(scaled_width / TILE) * math.ceil(scaled_height / TILE)


@dataclass(frozen=True, slots=True)
class ImageInput:
    """An image of a user message: its file, its size as the model gets it, and (once loaded) those bytes."""

    file_id: uuid.UUID
    width: int
    height: int
    media_type: str = ""
    data: bytes = b""

    @property
    def tokens(self) -> int:
        return image_tokens(self.width, self.height)

    @property
    def data_uri(self) -> str:
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode('ascii')}"


def images_tokens(images: tuple[ImageInput, ...]) -> int:
    return sum(image.tokens for image in images)
