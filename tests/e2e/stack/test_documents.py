"""Documents through the whole stack (nginx, two replicas, Postgres with pgvector, Redis, the emulator's
embeddings): a file uploaded past the JSON body limit, ingested by whichever replica claims it, found by the
`search_documents` tool with its name and page; a small file given whole and cited, the citation kept; another
user's conversation refused; a file too large for the upload limit refused by nginx in the envelope; an image
sent to the vision model, refused by the other, its bytes served to its owner only."""

import asyncio
import json
import time
import uuid
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from .made_files import make_png
from .report import record
from .support import is_envelope, needs_compose
from .test_tools import ToolRun, ask, guest_client, message

pytestmark = needs_compose

FILLER = "The quarterly report lists shipping volumes, warehouse audits and supplier reviews. "


async def upload(http: httpx.AsyncClient, conversation: str, name: str, content: bytes) -> httpx.Response:
    files = {"file": (name, content, "application/octet-stream")}
    return await http.post(f"/api/conversations/{conversation}/files", files=files)


async def ready(http: httpx.AsyncClient, conversation: str, file_id: str, within: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        items = (await http.get(f"/api/conversations/{conversation}/files")).json()["items"]
        (item,) = [item for item in items if item["id"] == file_id]
        if item["status"] in ("ready", "failed"):
            return dict(item)
        await asyncio.sleep(0.2)
    raise AssertionError(f"the file was not ingested within {within}s")


def test_an_uploaded_file_is_ingested_and_found_by_the_tool() -> None:
    asyncio.run(_an_uploaded_file_is_ingested_and_found_by_the_tool())


async def _an_uploaded_file_is_ingested_and_found_by_the_tool() -> None:
    secret = f"heliotrope{uuid.uuid4().hex[:8]}"
    # Over 1 MB, the JSON routes' limit: the upload route has its own, in nginx and the api.
    text = (FILLER * 14_000) + f"\n\nThe vault code word is {secret}, kept by the night porter.\n"
    async with guest_client() as http:
        conversation = (await http.post("/api/conversations", json={})).json()["id"]
        started = time.monotonic()
        uploaded = await upload(http, conversation, "../../etc/report.txt", text.encode())
        assert uploaded.status_code in (200, 201), uploaded.text
        file = uploaded.json()
        done = await ready(http, conversation, file["id"])
        ingest_s = time.monotonic() - started
        run = ToolRun()
        await ask(
            http,
            run,
            message("What is the code word?", run, f'call search_documents {{"query": "vault code word {secret}"}}'),
            conversation_id=conversation,
        )
    assert file["name"] == "report.txt" and file["media_type"].startswith("text/plain")
    assert done["status"] == "ready" and done["chunks_total"] and done["chunks_done"] == done["chunks_total"], done
    (result,) = run.named("tool_result")
    assert result["status"] == "ok" and secret in result["preview"] and "report.txt" in result["preview"]
    assert len(run.named("done")) == 1  # the emulator quotes all five passages back: it may reach max_tokens
    record(
        "documents_ingest",
        {"bytes": len(text), "chunks": done["chunks_total"], "upload_to_ready_s": round(ingest_s, 2)},
    )


def test_uploads_to_another_users_conversation_or_too_large_are_refused() -> None:
    asyncio.run(_uploads_to_another_users_conversation_or_too_large_are_refused())


async def _uploads_to_another_users_conversation_or_too_large_are_refused() -> None:
    async with guest_client() as ada, guest_client() as bo:
        conversation = (await ada.post("/api/conversations", json={})).json()["id"]
        theirs = await upload(bo, conversation, "notes.txt", b"not yours")
        too_large = await upload(ada, conversation, "big.txt", b"x" * (22 * 1024 * 1024))
        empty = await upload(ada, conversation, "empty.txt", b"")
        listed = (await ada.get(f"/api/conversations/{conversation}/files")).json()["items"]
    assert theirs.status_code == 404 and is_envelope(theirs.json())
    assert too_large.status_code == 413 and is_envelope(json.loads(too_large.text)), too_large.text[:300]
    assert empty.status_code == 422 and is_envelope(empty.json())
    assert listed == []


def test_a_small_file_is_cited_from_the_whole_text_and_the_citation_is_kept() -> None:
    asyncio.run(_a_small_file_is_cited_from_the_whole_text_and_the_citation_is_kept())


async def _a_small_file_is_cited_from_the_whole_text_and_the_citation_is_kept() -> None:
    notes = b"# Packing list\n\nBring a lantern, two ropes and the blue tent.\n"
    async with guest_client() as http:
        conversation = (await http.post("/api/conversations", json={})).json()["id"]
        uploaded = await upload(http, conversation, "packing.md", notes)
        assert uploaded.status_code == 201, uploaded.text
        assert (await ready(http, conversation, uploaded.json()["id"]))["status"] == "ready"
        run = ToolRun()
        await ask(http, run, message("What do I bring?", run, "cite=1 tokens=8"), conversation_id=conversation)
        saved = (await http.get(f"/api/conversations/{conversation}")).json()["messages"]["items"][-1]
    (citation,) = run.named("citation")
    assert citation["number"] == 1 and citation["file"] == "packing.md" and "blue tent" in citation["text"]
    assert run.text.endswith(" [1]") and run.named("tool_call") == []  # no search: the whole file was there
    assert [part for part in saved["parts"] if part["type"] == "citation"] == [{"type": "citation", **citation}]


def test_an_image_goes_to_a_vision_model_and_is_refused_by_another() -> None:
    asyncio.run(_an_image_goes_to_a_vision_model_and_is_refused_by_another())


async def _an_image_goes_to_a_vision_model_and_is_refused_by_another() -> None:
    png = make_png(600, 400)
    async with guest_client() as http, guest_client() as bo:
        conversation = (await http.post("/api/conversations", json={})).json()["id"]
        uploaded = await upload(http, conversation, "red.png", png)
        assert uploaded.status_code == 201, uploaded.text
        image = uploaded.json()
        assert image["media_type"] == "image/png"
        assert (await ready(http, conversation, image["id"]))["status"] == "ready"
        path = f"/api/conversations/{conversation}/messages"
        refused = await http.post(
            path, json={"content": "What is it?", "attachments": [image["id"]], "model": "chat-mini"}
        )
        run = ToolRun()
        content = message("What is it?", run, "tokens=5")
        async with aconnect_sse(http, "POST", path, json={"content": content, "attachments": [image["id"]]}) as source:
            run.events = [(event.id, event.event, event.json()) async for event in source.aiter_sse()]
        saved = (await http.get(f"/api/conversations/{conversation}")).json()["messages"]["items"]
        content_path = f"/api/conversations/{conversation}/files/{image['id']}/content"
        original, theirs = await http.get(content_path), await bo.get(content_path)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "vision_unsupported", refused.text
    assert run.text.startswith("I see 1 image"), run.text
    question = [item for item in saved if item["role"] == "user"][-1]
    assert question["attachments"] == [{"id": image["id"], "name": "red.png", "media_type": "image/png"}]
    assert original.status_code == 200 and original.content == png
    assert original.headers["content-type"] == "image/png" and original.headers["x-content-type-options"] == "nosniff"
    assert theirs.status_code == 404 and is_envelope(theirs.json())
