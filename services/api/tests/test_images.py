"""Images in a conversation, through the api and the real emulator, on SQLite and on Postgres: a message carries
the conversation's files; its images reach the model as image parts, scaled to the model's limits, counted in the
prompt, and again in later turns and retries; a model without vision refuses them before any model call; files
that are not the user's are refused without saying whose they are; hostile images fail quickly with a reason;
the files' bytes come back with safe headers."""

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from emulator.app import Emulator

from chat_api.chat.images import image_tokens

from .conftest import ApiFactory, sse_events, upstream_ended
from .pictures import bomb_png, claimed_png, picture
from .postgres import Databases, pgvector_or_skip
from .test_documents import files_of, new_conversation, settled, upload, uploaded

MODELS = [{"id": "chat", "vision": True}, {"id": "text", "deployment": "chat-text", "vision": False}]


@pytest.fixture(scope="module")
async def store(request: pytest.FixtureRequest, shared_store: dict[str, str]) -> dict[str, str]:
    if "DATABASE_URL" in shared_store:
        databases: Databases = request.getfixturevalue("postgres")
        await pgvector_or_skip(databases)
    return shared_store


@pytest.fixture(scope="module")
async def url(api_server: ApiFactory, store: dict[str, str]) -> AsyncIterator[str]:
    with api_server(
        MODELS=MODELS,
        FILES_MAX_BYTES=2_000_000,
        MAX_BODY_BYTES=200_000,
        GUEST_CONCURRENT_STREAMS=50,
        GUEST_REQUESTS_PER_MINUTE=500,
        **store,
    ) as served:
        yield served


async def send(
    http: httpx.AsyncClient, conversation_id: str, text: str, attachments: list[str] | None = None, **body: Any
) -> tuple[httpx.Response, str]:
    """A message (tagged, so that the emulator's record of it can be found) and its answer's response."""
    tag = uuid.uuid4().hex
    payload: dict[str, Any] = {"content": f"{text}\n@emulator tag={tag}", **body}
    if attachments is not None:
        payload["attachments"] = attachments
    return await http.post(f"/api/conversations/{conversation_id}/messages", json=payload), tag


def answer_of(response: httpx.Response) -> tuple[str, dict[str, Any]]:
    """The answer's text and its usage event."""
    assert response.status_code == 200, response.text
    events = sse_events(response)
    text = "".join(data["text"] for name, data in events if name == "delta")
    assert events[-1][0] == "done", events[-3:]
    usage = [data for name, data in events if name == "usage"]
    return text, usage[0] if usage else {}


async def ready_image(http: httpx.AsyncClient, conversation_id: str, name: str, data: bytes) -> str:
    file = await uploaded(http, conversation_id, name, data)
    assert (await settled(http, conversation_id, file["id"]))["status"] == "ready"
    return str(file["id"])


async def test_images_reach_the_model_scaled_counted_and_again_in_later_turns(
    ada: httpx.AsyncClient, emulator: Emulator
) -> None:
    conversation_id = await new_conversation(ada)
    photo = await ready_image(ada, conversation_id, "photo.png", picture("PNG", 3000, 2000))
    small = await ready_image(ada, conversation_id, "small.jpg", picture("JPEG", 300, 200))

    response, tag = await send(ada, conversation_id, "What is in these?", [photo, small])
    text, usage = answer_of(response)
    # Scaled within 2048 x 2048, then the short side to 768; the small one as it was.
    assert text.startswith("I see 2 images: 1. PNG 1152x768; 2. JPEG 300x200."), text
    record = await upstream_ended(emulator, tag)
    assert record.images == 2

    plain, _ = await send(ada, await new_conversation(ada), "What is in these?")
    _, plain_usage = answer_of(plain)
    assert usage["prompt_tokens"] - plain_usage["prompt_tokens"] == image_tokens(3000, 2000) + image_tokens(300, 200)
    assert image_tokens(3000, 2000) == 85 + 170 * 3 * 2

    messages = (await ada.get(f"/api/conversations/{conversation_id}")).json()["messages"]["items"]
    question, first_answer = messages[-2], messages[-1]
    assert question["attachments"] == [
        {"id": photo, "name": "photo.png", "media_type": "image/png"},
        {"id": small, "name": "small.jpg", "media_type": "image/jpeg"},
    ]
    assert first_answer["attachments"] is None

    later, later_tag = await send(ada, conversation_id, "And now?")
    later_text, _ = answer_of(later)
    assert (await upstream_ended(emulator, later_tag)).images == 2  # the history keeps its images
    assert not later_text.startswith("I see")  # (the emulator describes the last message's images only)

    retried = await ada.post(f"/api/conversations/{conversation_id}/messages/{first_answer['id']}/retry", json={})
    retried_text, _ = answer_of(retried)
    assert retried_text.startswith("I see 2 images: 1. PNG 1152x768; 2. JPEG 300x200.")


async def test_an_image_can_be_sent_before_its_ingestion_ends(ada: httpx.AsyncClient) -> None:
    conversation_id = await new_conversation(ada)
    file = await uploaded(ada, conversation_id, "fresh.webp", picture("WEBP", 1600, 1200))
    response, _ = await send(ada, conversation_id, "Quick, look", [file["id"]])  # ingestion may not have run
    assert answer_of(response)[0].startswith("I see 1 image: JPEG 1024x768."), "a WebP without alpha: a JPEG"
    assert (await settled(ada, conversation_id, file["id"]))["status"] == "ready"


async def test_attachments_must_be_the_conversations_files(ada: httpx.AsyncClient, bo: httpx.AsyncClient) -> None:
    conversation_id = await new_conversation(ada)
    other_conversation = await new_conversation(ada)
    elsewhere = await ready_image(ada, other_conversation, "elsewhere.png", picture("PNG", 10, 10))
    bos_conversation = await new_conversation(bo)
    bos = await ready_image(bo, bos_conversation, "private.png", picture("PNG", 12, 12))
    unknown = str(uuid.uuid4())

    messages: list[str] = []
    for ids in ([unknown], [elsewhere], [bos]):
        response, _ = await send(ada, conversation_id, "Look", ids)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_request" and error["message"].startswith("attachments: no file")
        messages.append(error["message"].replace(ids[0], "ID"))
    assert len(set(messages)) == 1  # another user's file reads exactly as a file that does not exist
    assert "private.png" not in messages[0]

    for attachments in (["not-a-uuid"], [str(uuid.uuid4()) for _ in range(11)], "one"):
        response = await ada.post(
            f"/api/conversations/{conversation_id}/messages", json={"content": "x", "attachments": attachments}
        )
        assert response.status_code == 422 and "attachments" in response.json()["error"]["message"], response.text
    own = await ready_image(ada, conversation_id, "own.png", picture("PNG", 10, 10))
    response, _ = await send(ada, conversation_id, "Twice is once", [own, own])
    assert answer_of(response)[0].startswith("I see 1 image: PNG 10x10.")
    assert (await ada.get(f"/api/conversations/{conversation_id}")).json()["messages"]["items"] != []


async def test_a_model_without_vision_refuses_images_before_any_model_call(
    ada: httpx.AsyncClient, emulator: Emulator
) -> None:
    conversation_id = (await ada.post("/api/conversations", json={"model": "text"})).json()["id"]
    image = await ready_image(ada, conversation_id, "cat.png", picture("PNG", 64, 64))
    before = (await ada.get("/api/me/usage")).json()
    response, tag = await send(ada, conversation_id, "What is this?", [image])
    assert response.status_code == 400, response.text
    assert response.json()["error"] == {
        "code": "vision_unsupported",
        "message": "This model (text) does not take images; pick one that does.",
    }
    assert emulator.log.recent(tag=tag) == []
    after = (await ada.get("/api/me/usage")).json()
    for limit, count in [("tokens_per_day", "used"), ("requests_per_minute", "used")]:  # nothing taken (Redis: metered)
        assert (after[limit] or {}).get(count) == (before[limit] or {}).get(count)
    notes = await uploaded(ada, conversation_id, "notes.txt", b"Plain words.")
    response, tag = await send(ada, conversation_id, "Read this\n@emulator reply=echo", [notes["id"]])
    echoed, _ = answer_of(response)  # another file is named for the model, which reads it with search_documents
    assert echoed.endswith("Read this\n\n[Files attached to this message: notes.txt]"), echoed
    assert (await upstream_ended(emulator, tag)).deployment == "chat-text"

    # An image asked about with a vision model: the conversation moved to the text model later still answers,
    # without the image (named instead); retrying the image's answer with the text model is refused.
    response, _ = await send(ada, conversation_id, "Look", [image], model="chat")
    answer_of(response)
    items = (await ada.get(f"/api/conversations/{conversation_id}")).json()["messages"]["items"]
    response, tag = await send(ada, conversation_id, "And without eyes?", model="text")
    answer_of(response)
    record = await upstream_ended(emulator, tag)
    assert record.images == 0 and record.deployment == "chat-text"
    retried = await ada.post(
        f"/api/conversations/{conversation_id}/messages/{items[-1]['id']}/retry", json={"model": "text"}
    )
    assert retried.status_code == 400 and retried.json()["error"]["code"] == "vision_unsupported"


async def test_hostile_and_damaged_images_fail_quickly_with_a_reason(ada: httpx.AsyncClient) -> None:
    conversation_id = await new_conversation(ada)
    jpeg = picture("JPEG", 400, 300)
    cases = [
        ("huge.png", claimed_png(50_000, 50_000), "50,000 x 50,000 pixels"),
        ("bomb.png", bomb_png(20_000), "20,000 x 20,000 pixels"),
        ("cut.jpg", jpeg[: len(jpeg) // 2], "damaged"),
    ]
    started = time.monotonic()
    failed = {}
    for name, data, _ in cases:
        file = await uploaded(ada, conversation_id, name, data)
        failed[name] = await settled(ada, conversation_id, file["id"])
    assert time.monotonic() - started < 10
    for name, _, reason in cases:
        assert failed[name]["status"] == "failed" and reason in failed[name]["reason"], failed[name]
    assert len(bomb_png(20_000)) < 200_000  # small on the wire, 400 megapixels decoded

    response, _ = await send(ada, conversation_id, "Look", [failed["huge.png"]["id"]])
    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        "attachments: huge.png could not be read: The image is 50,000 x 50,000 pixels; a PNG or WebP may have "
        "25 megapixels."
    )


async def test_a_files_bytes_come_back_with_safe_headers(ada: httpx.AsyncClient, bo: httpx.AsyncClient) -> None:
    conversation_id = await new_conversation(ada)
    image = picture("PNG", 40, 30)
    png = await uploaded(ada, conversation_id, "chart.png", image)
    text = "Grüße aus Köln\n".encode("utf-16")
    notes = await uploaded(ada, conversation_id, "Grüße.txt", text)
    base = f"/api/conversations/{conversation_id}/files"

    got = await ada.get(f"{base}/{png['id']}/content")
    assert got.status_code == 200 and got.content == image
    assert got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"] == 'inline; filename="chart.png"'
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-length"] == str(len(image))

    got = await ada.get(f"{base}/{notes['id']}/content")
    assert got.status_code == 200 and got.content == text
    assert got.headers["content-type"] == "text/plain"  # as read: no charset added to a UTF-16 file
    assert got.headers["content-disposition"] == "attachment; filename*=UTF-8''Gr%C3%BC%C3%9Fe.txt"

    large = await uploaded(ada, conversation_id, "large.png", picture("PNG", 700, 700, "RGB") + b"\x00" * 600_000)
    got = await ada.get(f"{base}/{large['id']}/content")
    assert got.status_code == 200 and len(got.content) == large["size_bytes"]  # more than one stored piece

    for client, path in [
        (bo, f"{base}/{png['id']}/content"),  # another user's
        (ada, f"{base}/{uuid.uuid4()}/content"),  # no such file
        (ada, f"/api/conversations/{await new_conversation(ada)}/files/{png['id']}/content"),  # another conversation
    ]:
        response = await client.get(path)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert (await ada.delete(f"{base}/{png['id']}")).status_code == 204
    assert (await ada.get(f"{base}/{png['id']}/content")).status_code == 404
    assert [file["name"] for file in await files_of(ada, conversation_id)] == ["Grüße.txt", "large.png"]


async def test_an_unreadable_image_is_refused_at_send_before_ingestion(ada: httpx.AsyncClient) -> None:
    conversation_id = await new_conversation(ada)
    response = await upload(ada, conversation_id, "bomb.png", bomb_png(12_000))
    file = response.json()
    sent, _ = await send(ada, conversation_id, "Look", [file["id"]])
    assert sent.status_code == 422, sent.text
    assert "12,000 x 12,000 pixels" in sent.json()["error"]["message"]
