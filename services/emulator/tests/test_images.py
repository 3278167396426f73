"""Image parts: sizes read from data URLs, tokens counted, and the 400 of a deployment without vision."""

import base64
import io
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from openai import AsyncAzureOpenAI, BadRequestError
from PIL import Image as PillowImage
from semantic_kernel.connectors.ai.open_ai import AzureChatCompletion, AzureChatPromptExecutionSettings
from semantic_kernel.contents import ChatHistory, ChatMessageContent, ImageContent, TextContent
from semantic_kernel.contents.utils.author_role import AuthorRole

from emulator.app import create_app
from emulator.images import Image
from emulator.testing import serve

from .conftest import API_KEY, API_VERSION, chat_url, make_settings


def data_url(kind: str, width: int, height: int) -> str:
    buffer = io.BytesIO()
    PillowImage.new("RGB", (width, height), (200, 30, 30)).save(buffer, format=kind)
    return f"data:image/{kind.lower()};base64,{base64.b64encode(buffer.getvalue()).decode()}"


def with_images(*urls: str, text: str = "What is in these pictures?") -> Any:
    parts: list[Any] = [{"type": "text", "text": text}]
    parts += [{"type": "image_url", "image_url": {"url": url}} for url in urls]
    return [{"role": "user", "content": parts}]


async def test_the_answer_says_how_many_images_and_their_sizes(azure: AsyncAzureOpenAI) -> None:
    urls = [data_url("PNG", 640, 480), data_url("JPEG", 32, 16), data_url("WEBP", 100, 200)]
    reply = await azure.chat.completions.create(model="chat", messages=with_images(*urls, "https://example.com/a.png"))
    text = reply.choices[0].message.content or ""
    assert text.startswith(
        "I see 4 images: 1. PNG 640x480; 2. JPEG 32x16; 3. WEBP 100x200; "
        "4. an image at https://example.com/a.png (not fetched).\n\n## What is in these pictures?"
    )


async def test_image_tokens_count_in_the_prompt(azure: AsyncAzureOpenAI) -> None:
    plain = await azure.chat.completions.create(model="chat", messages=with_images())
    pictured = await azure.chat.completions.create(model="chat", messages=with_images(data_url("PNG", 1024, 1024)))
    assert plain.usage is not None and pictured.usage is not None
    assert pictured.usage.prompt_tokens - plain.usage.prompt_tokens == 765  # 85 + 170 x 4 tiles, as documented


@pytest.mark.parametrize(
    ("size", "detail", "tokens"),
    [((1024, 1024), "high", 765), ((2048, 4096), "high", 1105), ((4096, 8192), "auto", 1105), ((64, 64), "low", 85)],
)
def test_image_tokens_follow_the_documented_tiles(size: tuple[int, int], detail: str, tokens: int) -> None:
    assert Image("png", *size, detail=detail).tokens == tokens


def test_a_huge_image_is_read_from_its_header_only() -> None:
    # 50,000 x 50,000: a PNG header claiming it, with no pixel data behind it.
    from emulator.images import read_image
    from emulator.protocol import ContentPart

    header = base64.b64decode(data_url("PNG", 1, 1).split(",")[1])[:33]
    header = header[:16] + (50_000).to_bytes(4, "big") * 2 + header[24:]
    url = "data:image/png;base64," + base64.b64encode(header).decode()
    image = read_image(ContentPart.model_validate({"type": "image_url", "image_url": {"url": url}}), 0, 1)
    assert (image.width, image.height) == (50_000, 50_000)


@pytest.fixture(scope="module")
def text_only_url() -> Iterator[str]:
    with serve(create_app(make_settings(vision_deployments="vision"))) as url:
        yield url


@pytest.fixture
async def text_only(text_only_url: str) -> AsyncIterator[AsyncAzureOpenAI]:
    client = AsyncAzureOpenAI(azure_endpoint=text_only_url, api_key=API_KEY, api_version=API_VERSION, max_retries=0)
    async with client:
        yield client


async def test_a_deployment_without_vision_refuses_images_as_azure_does(text_only: AsyncAzureOpenAI) -> None:
    messages = with_images(data_url("PNG", 8, 8))
    with pytest.raises(BadRequestError) as caught:
        await text_only.chat.completions.create(model="chat", messages=messages)
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["message"] == "Invalid content type. image_url is only supported by certain models."
    assert caught.value.param == "messages.[0].content.[1].type" and caught.value.code is None
    seen = await text_only.chat.completions.create(model="vision", messages=messages)
    assert (seen.choices[0].message.content or "").startswith("I see 1 image: PNG 8x8.")
    text = await text_only.chat.completions.create(model="chat", messages=with_images())
    assert text.choices[0].finish_reason == "stop"


@pytest.mark.parametrize(
    ("url", "code", "message"),
    [
        ("data:image/png;base64,!!!", "invalid_value", "could not be decoded"),
        ("data:text/plain;base64,aGVsbG8=", "invalid_value", "Expected a base64-encoded data URL"),
        ("ftp://example.com/a.png", "invalid_value", "Expected a base64-encoded data URL"),
        ("data:image/png;base64,aGVsbG8gd29ybGQ=", "invalid_image_format", "You uploaded an unsupported image"),
    ],
)
async def test_bad_images_are_400(http: httpx.AsyncClient, url: str, code: str, message: str) -> None:
    response = await http.post(chat_url(), json={"messages": with_images(url)})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code and message in error["message"]


async def test_semantic_kernel_image_content_reaches_the_model(base_url: str) -> None:
    client = AsyncAzureOpenAI(azure_endpoint=base_url, api_key=API_KEY, api_version=API_VERSION, max_retries=0)
    async with client:
        service = AzureChatCompletion(deployment_name="chat", async_client=client)
        chat = ChatHistory()
        items: Any = [TextContent(text="Describe it"), ImageContent(data_uri=data_url("PNG", 300, 200))]
        chat.add_message(ChatMessageContent(role=AuthorRole.USER, items=items))
        text = ""
        async for batch in service.get_streaming_chat_message_contents(chat, AzureChatPromptExecutionSettings()):
            text += "".join(str(message) for message in batch)
    assert text.startswith("I see 1 image: PNG 300x200.\n\n## Describe it")
