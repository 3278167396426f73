"""Images for vision models: checked from their header first (its width and height, read without decoding, so a
50,000 x 50,000 image or a decompression bomb is refused at once and costs nothing), then scaled to what the
model takes (Azure's rule: within 2048 x 2048, then the short side at most 768: more pixels are only scaled down
by the service and billed all the same) and encoded again: a PNG stays a PNG (screenshots keep their sharp
text), a JPEG stays a JPEG, a WebP becomes a PNG when it has transparency, else a JPEG. A JPEG is decoded at a
reduced scale where that still covers the size wanted (its `draft`), which keeps a phone's 48-megapixel photo to
a quarter of its memory or less. Metadata (a photo's place and camera) is left behind; its orientation is
applied first.

Pillow is imported inside the functions: a worker loads it with the first image, not at start."""

import io
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from chat_api.chat.images import model_size
from chat_api.documents import sniff

if TYPE_CHECKING:
    from PIL.Image import Image as Picture

# What one image may hold. A JPEG is decoded at a reduced scale: a 48-megapixel phone photo passes, and takes
# about 21 MB more of a worker's memory for 0.3 s (measured). A PNG or a WebP is decoded whole, about 4.4 bytes a
# pixel (a 49-megapixel PNG: 217 MB for 2 s, measured): 25 megapixels (an 8K screenshot is 33) keep it near 110 MB.
MAX_JPEG_PIXELS: Final = 50_000_000
MAX_DECODED_PIXELS: Final = 25_000_000
JPEG_QUALITY: Final = 85
_FORMATS: Final = {"PNG": sniff.PNG, "JPEG": sniff.JPEG, "WEBP": sniff.WEBP}
# What Pillow raises on a damaged or truncated file, by format: none of it may reach the caller as a crash.
_DAMAGED: Final = (OSError, ValueError, SyntaxError, EOFError, struct.error, IndexError, KeyError, TypeError)


class BadImage(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Rendition:
    """An image as the model gets it."""

    media_type: str
    width: int
    height: int
    data: bytes


def _too_large(width: int, height: int, source: str) -> BadImage:
    kind, most = ("JPEG", MAX_JPEG_PIXELS) if source == sniff.JPEG else ("PNG or WebP", MAX_DECODED_PIXELS)
    return BadImage(f"The image is {width:,} x {height:,} pixels; a {kind} may have {most // 1_000_000} megapixels.")


def render(data: bytes) -> Rendition:
    """The image in `data` (PNG, JPEG or WebP) as the model gets it; `BadImage` with a reason fit for its owner
    when it is too large, damaged or not an image of those kinds. Blocking (decoding): run it in a thread."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    # Our bounds (checked from the header below) replaces Pillow's own, which first warns and only
    # refuses at twice its bound.
    Image.MAX_IMAGE_PIXELS = None
    try:
        image = Image.open(io.BytesIO(data), formats=list(_FORMATS))
        width, height = image.size
        if width < 1 or height < 1:
            raise BadImage("The image has no pixels.")
        source = _FORMATS[str(image.format)]
        if width * height > (MAX_JPEG_PIXELS if source == sniff.JPEG else MAX_DECODED_PIXELS):
            raise _too_large(width, height, source)
        wanted = model_size(width, height)
        if source == sniff.JPEG:
            image.draft("RGB", wanted)  # decoded at 1/2, 1/4 or 1/8 of its size where that still covers `wanted`
        image.load()
        scaled = image if image.size == wanted else image.resize(wanted, Image.Resampling.LANCZOS, reducing_gap=3.0)
        return _encoded(ImageOps.exif_transpose(scaled), source)
    except BadImage:
        raise
    except UnidentifiedImageError:
        raise BadImage("The file is not an image this service can read (PNG, JPEG or WebP).") from None
    except MemoryError:
        raise BadImage("The image is too large to read.") from None
    except _DAMAGED:
        raise BadImage("The image is damaged and cannot be read.") from None


def _encoded(image: "Picture", source: str) -> Rendition:
    transparent = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    as_png = source == sniff.PNG or (source == sniff.WEBP and transparent)
    out = io.BytesIO()
    if as_png:
        mode = "RGBA" if transparent else ("L" if image.mode in ("1", "L") else "RGB")
        image.convert(mode).save(out, format="PNG")
    else:
        image.convert("L" if image.mode in ("1", "L") else "RGB").save(out, format="JPEG", quality=JPEG_QUALITY)
    width, height = image.size
    return Rendition(sniff.PNG if as_png else sniff.JPEG, width, height, out.getvalue())
