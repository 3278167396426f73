"""Image parts of a user message: what they are, what they cost, and the refusals the service sends for them.

A data URL is decoded and its header read (PNG, JPEG, GIF, WebP: width and height, never the pixels, so a huge
image costs nothing); an https URL is not fetched (the emulator is offline) and counts as an image of unknown
size. Tokens follow the documented rule for gpt-4o: 85 for ``detail: low``; otherwise 85 plus 170 per 512-pixel
tile after the image is scaled to fit 2048 by 2048 and then its short side to 768.
"""

import base64
import binascii
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass

import imagesize

from emulator.models import Refusal
from emulator.protocol import ChatMessage, ContentPart, error_body

MAX_IMAGE_BYTES = 20 * 1024 * 1024  # the service's limit per image
FORMATS = ("png", "jpeg", "gif", "webp")
_MAGIC = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpeg", b"GIF87a": "gif", b"GIF89a": "gif"}
BASE_TOKENS = 85
TILE_TOKENS = 170


@dataclass(frozen=True)
class Image:
    format: str | None  # None: not fetched (an https URL)
    width: int | None
    height: int | None
    detail: str
    url: str | None = None  # an https image's address

    def describe(self) -> str:
        if self.format is None:
            return f"an image at {self.url} (not fetched)"
        return f"{self.format.upper()} {self.width}x{self.height}"

    @property
    def tokens(self) -> int:
        if self.detail == "low" or self.width is None or self.height is None:
            return BASE_TOKENS
        width, height = float(self.width), float(self.height)
        fit = min(1.0, 2048 / max(width, height))
        width, height = width * fit, height * fit
        shrink = min(1.0, 768 / min(width, height))
        width, height = width * shrink, height * shrink
        return BASE_TOKENS + TILE_TOKENS * math.ceil(width / 512) * math.ceil(height / 512)


def image_parts(messages: list[ChatMessage]) -> Iterator[tuple[int, int, ContentPart]]:
    """Every image part: (message position, part position, part)."""
    for position, message in enumerate(messages):
        if isinstance(message.content, list):
            for index, part in enumerate(message.content):
                if part.type == "image_url":
                    yield position, index, part


def refuse_images(messages: list[ChatMessage]) -> None:
    """A deployment without vision: the service's 400 for the first image part."""
    for position, index, _ in image_parts(messages):
        raise Refusal(
            400,
            error_body(
                None,
                "Invalid content type. image_url is only supported by certain models.",
                type="invalid_request_error",
                param=f"messages.[{position}].content.[{index}].type",
            ),
        )


def read_image(part: ContentPart, position: int, index: int) -> Image:
    param = f"messages.[{position}].content.[{index}].image_url"
    if part.image_url is None:
        raise _invalid(f"Missing required parameter: '{param}'.", param, "missing_required_parameter")
    url, detail = part.image_url.url, part.image_url.detail
    if url.startswith(("https://", "http://")):
        return Image(None, None, None, detail, url)
    data = _decode_data_url(url, f"{param}.url")
    if len(data) > MAX_IMAGE_BYTES:
        raise _invalid(f"Image size {len(data)} bytes exceeds the limit of {MAX_IMAGE_BYTES} bytes.", param)
    kind = _format(data)
    width, height = imagesize.get(io.BytesIO(data)) if kind else (-1, -1)
    if kind is None or width <= 0 or height <= 0:
        raise _invalid(
            "You uploaded an unsupported image. Please make sure your image has of one the following formats: "
            f"{list(FORMATS)}.",
            None,
            "invalid_image_format",
        )
    return Image(kind, width, height, detail)


def _decode_data_url(url: str, param: str) -> bytes:
    header, comma, payload = url.partition(",")
    if not (comma and header.startswith("data:image/") and header.endswith(";base64")):
        raise _invalid(
            f"Invalid image URL: '{param}'. Expected a base64-encoded data URL with an image MIME type (e.g. "
            "'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got a value that is not one.",
            param,
            "invalid_value",
        )
    try:
        return base64.b64decode(payload, validate=True)
    except binascii.Error:
        message = f"Invalid image URL: '{param}'. The base64 data could not be decoded."
        raise _invalid(message, param, "invalid_value") from None


def _format(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return next((kind for magic, kind in _MAGIC.items() if data.startswith(magic)), None)


def _invalid(message: str, param: str | None, code: str | None = None) -> Refusal:
    return Refusal(400, error_body(code, message, type="invalid_request_error", param=param))


def describe(images: list[Image]) -> str:
    """The sentence the answer begins with: how many images, and each one's format and size."""
    if len(images) == 1:
        return f"I see 1 image: {images[0].describe()}.\n\n"
    listed = "; ".join(f"{n}. {image.describe()}" for n, image in enumerate(images, 1))
    return f"I see {len(images)} images: {listed}.\n\n"
