"""Images for the model, without a server: their size and tokens by Azure's rule, and the rendition (scaled,
encoded again, upright), with the bounds that keep a hostile image cheap."""

import ast
import io
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from semantic_kernel.contents import AuthorRole, ImageContent

import chat_api
from chat_api.chat.fit import fitted_to
from chat_api.chat.images import ImageInput, image_tokens, model_size
from chat_api.chat.schemas import ChatRequest, Message
from chat_api.chat.tokens import message_tokens
from chat_api.chat.upstream import build_history
from chat_api.chat.window import Turn
from chat_api.documents import images
from chat_api.documents.images import BadImage, render
from chat_api.limits.estimate import prompt_tokens

from .pictures import bomb_png, claimed_png, picture

JPEG = picture("JPEG", 300, 200)
# A JPEG's frame header (SOF0 at 0xC0) claiming 50,000 x 50,000: the size is all Pillow reads before refusing.
_SOF = JPEG.index(b"\xff\xc0")
JPEG_HEADER_50K = JPEG[: _SOF + 5] + (50_000).to_bytes(2, "big") * 2 + JPEG[_SOF + 9 :]


@pytest.mark.parametrize(
    ("size", "scaled", "tokens"),
    [
        ((1024, 1024), (768, 768), 765),  # Azure's own examples
        ((2048, 4096), (768, 1536), 1105),
        ((4096, 8192), (768, 1536), 1105),
        ((300, 200), (300, 200), 255),  # never scaled up
        ((3000, 2000), (1152, 768), 1105),
        ((50_000, 10), (2048, 1), 765),  # a strip: never below a pixel
    ],
)
def test_the_size_and_tokens_follow_azures_rule(size: tuple[int, int], scaled: tuple[int, int], tokens: int) -> None:
    assert model_size(*size) == scaled
    assert image_tokens(*size) == tokens


def test_a_large_photo_is_scaled_and_stays_a_jpeg() -> None:
    started = time.monotonic()
    rendition = render(picture("JPEG", 8000, 6000))  # a 48-megapixel phone photo
    assert time.monotonic() - started < 3
    assert (rendition.media_type, rendition.width, rendition.height) == ("image/jpeg", 1024, 768)
    assert Image.open(io.BytesIO(rendition.data)).size == (1024, 768)


def test_transparency_keeps_a_png_and_a_webp_without_it_becomes_a_jpeg() -> None:
    png = render(picture("PNG", 2000, 1000, "RGBA"))
    assert (png.media_type, png.width, png.height) == ("image/png", 1536, 768)
    assert Image.open(io.BytesIO(png.data)).mode == "RGBA"
    assert render(picture("WEBP", 100, 100, "RGBA")).media_type == "image/png"
    assert render(picture("WEBP", 100, 100)).media_type == "image/jpeg"
    assert render(picture("PNG", 50, 40, "L")).media_type == "image/png"


def test_a_photo_is_turned_upright_and_loses_its_metadata() -> None:
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees to show
    exif[0x010F] = "Camera Maker"
    Image.new("RGB", (400, 300), "red").save(buffer, format="JPEG", exif=exif)
    rendition = render(buffer.getvalue())
    assert (rendition.width, rendition.height) == (300, 400)
    assert not Image.open(io.BytesIO(rendition.data)).getexif()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (claimed_png(50_000, 50_000), "The image is 50,000 x 50,000 pixels; a PNG or WebP may have 25 megapixels."),
        (bomb_png(20_000), "The image is 20,000 x 20,000 pixels; a PNG or WebP may have 25 megapixels."),
        (JPEG_HEADER_50K, "The image is 50,000 x 50,000 pixels; a JPEG may have 50 megapixels."),
        (JPEG[: len(JPEG) // 2], "The image is damaged and cannot be read."),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "The file is not an image this service can read (PNG, JPEG or WebP)."),
        (claimed_png(0, 10), "The file is not an image this service can read (PNG, JPEG or WebP)."),
        (b"GIF89a" + b"\x00" * 100, "The file is not an image this service can read (PNG, JPEG or WebP)."),
    ],
)
def test_hostile_and_damaged_images_are_refused_at_once(data: bytes, reason: str) -> None:
    started = time.monotonic()
    with pytest.raises(BadImage) as refused:
        render(data)
    assert time.monotonic() - started < 0.5  # from the header: nothing decoded
    assert refused.value.reason == reason


def test_the_bound_admits_what_it_says() -> None:
    side = int(images.MAX_DECODED_PIXELS**0.5)
    assert side * side <= images.MAX_DECODED_PIXELS < (side + 1) * (side + 1)
    with pytest.raises(BadImage) as refused:
        render(claimed_png(side + 1, side + 1))
    assert "pixels; a PNG or WebP" in refused.value.reason
    with pytest.raises(BadImage) as refused:
        render(claimed_png(side, side))  # within the bound: decoded, and its missing pixels found
    assert refused.value.reason == "The image is damaged and cannot be read."


def test_pillow_and_pypdf_are_imported_only_where_used() -> None:
    """They load with the first image or PDF a worker reads, never at start (pypdf, with Pillow, which it loads
    when installed: about 37 MB of a worker's memory). No module imports either at its top level."""
    heavy = ("PIL", "pypdf")
    found = []
    for path in sorted(Path(chat_api.__file__).parent.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in tree.body:  # the module's own statements (an `if TYPE_CHECKING:` block is not run)
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{path.name}: {name}" for name in names if name.split(".")[0] in heavy]
    assert found == []


IMAGE = ImageInput(uuid.uuid4(), 1024, 1024, "image/png", b"\x89PNG-bytes")


def test_images_count_in_the_history_budget_and_the_reservation() -> None:
    turn = Turn(None, "user", "What is this?", images=(IMAGE, IMAGE))
    assert turn.tokens == message_tokens("What is this?") + 2 * 765
    asked = Message.asked("What is this?", (IMAGE,))
    request = ChatRequest(message="And this?", history=[asked]).with_images((IMAGE,))
    plain = ChatRequest(message="And this?", history=[Message(role="user", content="What is this?")])
    assert prompt_tokens(request, "") - prompt_tokens(plain, "") == 2 * 765
    fitted = fitted_to(request, 2048, "", 256)  # the one retry on a smaller window keeps the images it sends
    assert fitted.images == (IMAGE,)


def test_images_go_to_the_model_as_image_contents_with_their_question() -> None:
    history = [
        Message.asked("First", (IMAGE,)),
        Message(role="user", content="Second (the first's answer failed)"),
        Message(role="assistant", content="An answer"),
    ]
    request = ChatRequest(message="Third", history=history).with_images((IMAGE,))
    built = build_history(request, "system")
    (first, last) = [message for message in built.messages if message.role == AuthorRole.USER]
    assert first.content.startswith("First\n\nSecond")  # two questions in a row: merged, images and all
    assert [type(item).__name__ for item in first.items] == ["TextContent", "ImageContent"]
    assert [type(item).__name__ for item in last.items] == ["TextContent", "ImageContent"]
    image = last.items[1]
    assert isinstance(image, ImageContent) and image.data_uri.startswith("data:image/png;base64,")
    unloaded = ChatRequest(message="Fourth").with_images((replace(IMAGE, data=b""),))
    assert [type(item).__name__ for item in build_history(unloaded, "").messages[-1].items] == ["TextContent"]
