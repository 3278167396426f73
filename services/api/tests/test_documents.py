"""Files attached to a conversation, through the api and the real emulator's embeddings, on SQLite and on
Postgres (with pgvector): upload, ingestion to `ready` (progress, pages), the search tool, bad input, deletion
cascades, isolation between users, a crashed ingestion taken again, and the embedding service failing."""

import asyncio
import codecs
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from emulator.app import Emulator
from httpx_sse import EventSource
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from chat_api.documents.index import DocumentsUnavailable, check_postgres
from chat_api.settings import DatabaseSettings
from chat_api.storage.engine import create_engine
from chat_api.storage.models import utcnow

from .conftest import ApiFactory, signed_in
from .pdfs import make_pdf
from .pictures import picture
from .postgres import Databases, pgvector_or_skip
from .test_guest_and_import_limits import statements_counted

MAX_BYTES = 300_000  # the tests' MAX_BODY_BYTES is 20,000: uploads have their own limit
PNG = picture("PNG", 8, 8)


@pytest.fixture(scope="module")
async def store(request: pytest.FixtureRequest, shared_store: dict[str, str]) -> dict[str, str]:
    if "DATABASE_URL" in shared_store:
        databases: Databases = request.getfixturevalue("postgres")
        await pgvector_or_skip(databases)
    return shared_store


@pytest.fixture(scope="module")
async def url(api_server: ApiFactory, store: dict[str, str]) -> AsyncIterator[str]:
    with api_server(
        FILES_MAX_BYTES=MAX_BYTES,
        FILES_MAX_PER_CONVERSATION=3,
        CHUNK_TOKENS=60,
        CHUNK_OVERLAP_TOKENS=10,
        DOCUMENTS_WHOLE_MAX_TOKENS=0,  # searched, always (the whole text's tests have their own api)
        EMBEDDING_BATCH_SIZE=4,
        EMBEDDING_MAX_RETRIES=1,
        INGEST_LEASE_S=5,
        GUEST_CONCURRENT_STREAMS=50,
        GUEST_REQUESTS_PER_MINUTE=500,
        **store,
    ) as served:
        yield served


@pytest.fixture(scope="module")
async def engine(store: dict[str, str]) -> AsyncIterator[AsyncEngine]:
    """The module api's database, to look at what the api keeps (and to play a crashed worker)."""
    engine = create_engine(DatabaseSettings(**store))  # type: ignore[arg-type]
    yield engine
    await engine.dispose()


async def new_conversation(http: httpx.AsyncClient) -> str:
    created: str = (await http.post("/api/conversations", json={})).json()["id"]
    return created


async def upload(http: httpx.AsyncClient, conversation_id: str, name: str, data: bytes) -> httpx.Response:
    # The header's type is a lie on purpose: the api reads the type from the content.
    return await http.post(
        f"/api/conversations/{conversation_id}/files", files={"file": (name, data, "application/octet-stream")}
    )


async def uploaded(http: httpx.AsyncClient, conversation_id: str, name: str, data: bytes) -> dict[str, Any]:
    response = await upload(http, conversation_id, name, data)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def files_of(http: httpx.AsyncClient, conversation_id: str) -> list[dict[str, Any]]:
    response = await http.get(f"/api/conversations/{conversation_id}/files")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def settled(http: httpx.AsyncClient, conversation_id: str, file_id: str, timeout_s: float = 15) -> dict[str, Any]:
    """The file once its ingestion has ended (ready or failed)."""
    deadline = time.monotonic() + timeout_s
    while True:
        (file,) = [item for item in await files_of(http, conversation_id) if item["id"] == file_id]
        if file["status"] in ("ready", "failed") or time.monotonic() > deadline:
            return file
        await asyncio.sleep(0.05)


async def ask(http: httpx.AsyncClient, conversation_id: str, query: str) -> str:
    """What the search_documents tool answered, as the emulator's model quotes it."""
    content = f'Look it up\n@emulator call search_documents {{"query": "{query}"}}\n@emulator tag={uuid.uuid4().hex}'
    response = await http.post(f"/api/conversations/{conversation_id}/messages", json={"content": content})
    assert response.status_code == 200, response.text
    events = list(EventSource(response).iter_sse())
    (result,) = [event.json() for event in events if event.event == "tool_result"]
    assert result["status"] == "ok", result
    return "".join(event.json()["text"] for event in events if event.event == "delta")


async def rows(engine: AsyncEngine, sql: str, **parameters: Any) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text(sql), parameters)).scalar_one())


def hex_id(engine: AsyncEngine, value: str) -> str:
    """A UUID as this database keeps it (SQLite: 32 hex digits)."""
    return uuid.UUID(value).hex if engine.dialect.name == "sqlite" else value


async def test_a_pdf_is_read_page_by_page_and_the_tool_finds_its_passages(ada: httpx.AsyncClient) -> None:
    conversation_id = await new_conversation(ada)
    pdf = make_pdf(
        [
            "Quarterly report of the Freedonia Rail Company.\nRevenue grew by four percent.",
            "The new Fredville station opens in March.\nIt has twelve platforms and a glass roof.",
            "Penguins were seen nesting near the Antarctic research base.",
        ]
    )
    file = await uploaded(ada, conversation_id, "report.pdf", pdf)
    assert file["media_type"] == "application/pdf" and file["size_bytes"] == len(pdf) and file["name"] == "report.pdf"
    assert file["status"] == "uploaded"
    ready = await settled(ada, conversation_id, file["id"])
    assert ready["status"] == "ready", ready
    assert ready["pages"] == 3 and ready["chunks_total"] == ready["chunks_done"] >= 3 and ready["reason"] is None

    answer = await ask(ada, conversation_id, "how many platforms does the Fredville station have")
    assert "twelve platforms" in answer and '"page":2' in answer and '"file":"report.pdf"' in answer
    assert "not instructions" in answer  # the passages go to the model as quoted data
    first = answer.index('"citation":1')
    assert "twelve platforms" in answer[first : answer.index("}", first)]  # the best passage is cited first


async def test_the_answer_cites_its_passages_as_it_streams_and_keeps_them(ada: httpx.AsyncClient) -> None:
    conversation_id = await new_conversation(ada)
    pdf = make_pdf(["The Fredville station has twelve platforms.", "Its roof is made of glass and steel."])
    file = await uploaded(ada, conversation_id, "station.pdf", pdf)
    assert (await settled(ada, conversation_id, file["id"]))["status"] == "ready"
    search = '@emulator call search_documents {"query": "a roof of glass and steel"}'
    # The model searches twice (the same passages keep their numbers), then cites 1, a number it was never
    # given (9: plain text), and 1 again (sent once).
    content = f"Roof?\n{search}\n@emulator rounds=2 cite=1,9,1\n@emulator tag={uuid.uuid4().hex}"
    response = await ada.post(f"/api/conversations/{conversation_id}/messages", json={"content": content})
    assert response.status_code == 200, response.text
    events = list(EventSource(response).iter_sse())
    results = [event.json()["preview"] for event in events if event.event == "tool_result"]
    assert len(results) == 2 and results[0].count('"citation":1,') == results[1].count('"citation":1,') == 1
    citations = [(index, event.json()) for index, event in enumerate(events) if event.event == "citation"]
    assert len(citations) == 1
    at, citation = citations[0]
    assert citation["number"] == 1 and citation["file_id"] == file["id"] and citation["file"] == "station.pdf"
    assert citation["page"] == 2 and "glass and steel" in citation["text"]
    text_before = "".join(event.json()["text"] for event in events[:at] if event.event == "delta")
    assert "[1]" not in text_before  # sent before the text that cites it
    answer = "".join(event.json()["text"] for event in events if event.event == "delta")
    assert answer.endswith(" [1][9][1]")

    detail = (await ada.get(f"/api/conversations/{conversation_id}")).json()
    parts = detail["messages"]["items"][-1]["parts"]
    assert [part for part in parts if part["type"] == "citation"] == [{"type": "citation", **citation}]


async def usage_and_citations(http: httpx.AsyncClient, conversation_id: str, cite: str) -> tuple[int, list[Any]]:
    content = f"What does it say?\n@emulator cite={cite} tokens=5\n@emulator tag={uuid.uuid4().hex}"
    response = await http.post(f"/api/conversations/{conversation_id}/messages", json={"content": content})
    assert response.status_code == 200, response.text
    events = list(EventSource(response).iter_sse())
    (usage,) = [event.json() for event in events if event.event == "usage"]
    return usage["prompt_tokens"], [event.json() for event in events if event.event == "citation"]


@pytest.mark.parametrize("bound", [3000, 50])
async def test_small_files_go_in_the_prompt_whole_and_are_cited_without_a_search(
    api_server: ApiFactory, store: dict[str, str], bound: int
) -> None:
    notes = "# Packing list\n\nBring a lantern, two ropes and the blue tent.\n" * 5  # about 80 tokens
    with api_server(DOCUMENTS_WHOLE_MAX_TOKENS=bound, **store) as served:
        async with signed_in(served) as http:
            with statements_counted() as statements:
                without_files, cited = await usage_and_citations(http, await new_conversation(http), "1")
            assert cited == []  # nothing to cite: [1] stays text
            # Files and saved memories cost a send nothing when there are none (the conversation's read asks).
            assert not [s for s in statements if "chunks" in s or ("user_memories" in s and "EXISTS" not in s)]
            conversation_id = await new_conversation(http)
            file = await uploaded(http, conversation_id, "packing.md", notes.encode())
            assert (await settled(http, conversation_id, file["id"]))["status"] == "ready"
            with_file, cited = await usage_and_citations(http, conversation_id, "1")
    if bound == 50:  # over the bound: only searched
        assert cited == [] and with_file == without_files
        return
    assert with_file - without_files > len(notes) // 4  # the file's text went with the question
    assert [(c["number"], c["file"], c["section"]) for c in cited] == [(1, "packing.md", "Packing list")]
    assert "blue tent" in cited[0]["text"]


async def test_a_conversation_without_files_says_so(ada: httpx.AsyncClient) -> None:
    conversation_id = await new_conversation(ada)
    assert "No documents are attached" in await ask(ada, conversation_id, "anything")


async def test_text_files_are_read_whatever_their_encoding_and_kind(ada: httpx.AsyncClient) -> None:
    conversation_id = await new_conversation(ada)
    markdown = "# Handbook\n\n## Holidays\n\nStaff get thirty days of holiday.\n\n## Parking\n\nParking is free.\n"
    utf16 = codecs.BOM_UTF16_LE + "Die Kantine öffnet um acht Uhr.".encode("utf-16-le")
    broken = b"Invoices are paid within \xff\xfe\xfa sixty days."
    for name, data, kind in [
        ("notes.md", markdown.encode(), "text/markdown"),
        ("kantine.txt", utf16, "text/plain"),
        ("invoices.txt", broken, "text/plain"),
    ]:
        file = await uploaded(ada, conversation_id, name, data)
        assert file["media_type"] == kind
        assert (await settled(ada, conversation_id, file["id"]))["status"] == "ready"
    assert "thirty days" in (answer := await ask(ada, conversation_id, "how many days of holiday"))
    assert '"section":"Handbook > Holidays"' in answer
    assert "Kantine öffnet" in await ask(ada, conversation_id, "Kantine")
    assert "sixty days" in await ask(ada, conversation_id, "when are invoices paid")

    other = await new_conversation(ada)
    html = (
        b"<!DOCTYPE html><html><head><script>var secret = 1;</script></head>"
        b"<body><p>Opening hours: nine to five.</p></body></html>"
    )
    for name, data, kind in [
        ("page.txt", html, "text/html"),  # the content says HTML, whatever the name says
        ("table.csv", b"city,population\nFredville,12000\n", "text/csv"),
        ("photo.txt", PNG, "image/png"),
    ]:
        file = await uploaded(ada, other, name, data)
        assert file["media_type"] == kind
        done = await settled(ada, other, file["id"])
        assert done["status"] == "ready"
        if kind == "image/png":
            assert done["chunks_total"] == 0  # images are for the model's eyes, not for search
    answer = await ask(ada, other, "opening hours")
    assert "nine to five" in answer and "secret" not in answer


async def test_bad_uploads_get_a_clear_error_or_a_failed_file(ada: httpx.AsyncClient, bo: httpx.AsyncClient) -> None:
    conversation_id = await new_conversation(ada)

    async def refused(name: str, data: bytes, status: int, code: str) -> None:
        response = await upload(ada, conversation_id, name, data)
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code

    await refused("empty.txt", b"", 422, "empty_file")
    await refused("program.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" * 10, 415, "unsupported_file_type")
    await refused("big.txt", b"a" * (MAX_BYTES + 1), 413, "payload_too_large")
    await refused("huge.txt", b"a" * (MAX_BYTES + 200_000), 413, "payload_too_large")  # (past the route's limit)
    no_file = await ada.post(f"/api/conversations/{conversation_id}/files", data={"name": "x"})
    assert no_file.status_code == 422 and no_file.json()["error"]["code"] == "invalid_request"
    two = await ada.post(
        f"/api/conversations/{conversation_id}/files",
        files=[("file", ("a.txt", b"one", "text/plain")), ("file", ("b.txt", b"two", "text/plain"))],
    )
    assert two.status_code == 422 and "exactly one" in two.json()["error"]["message"]

    passwd = await uploaded(ada, conversation_id, "../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n")
    assert passwd["name"] == "passwd"
    again = await upload(ada, conversation_id, "other-name.txt", b"root:x:0:0:root:/root:/bin/bash\n")
    assert again.status_code == 200 and again.json()["id"] == passwd["id"]  # the same file twice: that one
    long_name = await uploaded(ada, conversation_id, "x" * 1_000 + ".md", b"# Title\n\nSome text.")
    assert len(long_name["name"]) <= 255 and long_name["name"].endswith(".md")
    # A name of 10 kB: a recent python-multipart refuses the part's header whole (said in words); an older one
    # passes it on, and the name is cut.
    response = await upload(ada, conversation_id, "x" * 10_000 + ".md", b"# Title")
    if response.status_code == 400:
        assert "file name" in response.json()["error"]["message"]
    else:
        assert response.status_code == 201 and len(response.json()["name"]) == 255
        await ada.delete(f"/api/conversations/{conversation_id}/files/{response.json()['id']}")
    encrypted = await uploaded(ada, conversation_id, "secret.pdf", make_pdf(["hidden"], password="pw"))
    assert (await settled(ada, conversation_id, encrypted["id"]))["reason"] == "The PDF is encrypted with a password."
    await refused("fourth.txt", b"one file too many", 409, "too_many_files")

    other = await new_conversation(ada)
    damaged = await uploaded(ada, other, "damaged.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nnot a pdf at all")
    failed = await settled(ada, other, damaged["id"])
    assert failed["status"] == "failed" and "damaged" in failed["reason"]
    blank = await uploaded(ada, other, "blank.pdf", make_pdf([""]))
    assert "No text" in (await settled(ada, other, blank["id"]))["reason"]

    for client, path in [
        (bo, f"/api/conversations/{conversation_id}/files"),  # another user's conversation
        (ada, f"/api/conversations/{uuid.uuid4()}/files"),  # no such conversation
    ]:
        response = await client.post(path, files={"file": ("a.txt", b"hello", "text/plain")})
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
        assert (await client.get(path)).status_code == 404


async def test_other_users_cannot_see_delete_or_search_a_file(ada: httpx.AsyncClient, bo: httpx.AsyncClient) -> None:
    conversation_id = await new_conversation(ada)
    file = await uploaded(ada, conversation_id, "diary.txt", b"The treasure is buried under the old oak tree.")
    assert (await settled(ada, conversation_id, file["id"]))["status"] == "ready"
    assert (await bo.delete(f"/api/conversations/{conversation_id}/files/{file['id']}")).status_code == 404
    own = await new_conversation(bo)
    assert (await bo.delete(f"/api/conversations/{own}/files/{file['id']}")).status_code == 404
    assert "No documents are attached" in await ask(bo, own, "where is the treasure buried")
    assert "old oak tree" in await ask(ada, conversation_id, "where is the treasure buried")


async def test_deleting_a_file_a_conversation_or_an_account_deletes_its_text_and_vectors(
    url: str, engine: AsyncEngine
) -> None:
    async with signed_in(url) as carl:
        me = (await carl.get("/api/me")).json()["id"]
        kept = await new_conversation(carl)
        first = await uploaded(carl, kept, "a.txt", b"Alpha beta gamma. " * 50)
        second = await uploaded(carl, kept, "b.txt", b"Delta epsilon zeta. " * 50)
        doomed = await new_conversation(carl)
        third = await uploaded(carl, doomed, "c.txt", b"Eta theta iota. " * 50)
        for conversation_id, file in [(kept, first), (kept, second), (doomed, third)]:
            assert (await settled(carl, conversation_id, file["id"]))["status"] == "ready"

        async def left(file_id: str) -> tuple[int, int, int]:
            key = hex_id(engine, file_id)
            return (
                await rows(engine, "SELECT count(*) FROM files WHERE id = :id", id=key),
                await rows(engine, "SELECT count(*) FROM file_blobs WHERE file_id = :id", id=key),
                await rows(engine, "SELECT count(*) FROM chunks WHERE file_id = :id AND embedding IS NOT NULL", id=key),
            )

        assert (await left(first["id"]))[0:2] == (1, 1) and (await left(first["id"]))[2] > 1
        deleted = await carl.delete(f"/api/conversations/{kept}/files/{first['id']}")
        assert deleted.status_code == 204
        assert await left(first["id"]) == (0, 0, 0)
        assert [file["id"] for file in await files_of(carl, kept)] == [second["id"]]
        again = await carl.delete(f"/api/conversations/{kept}/files/{first['id']}")
        assert again.status_code == 404 and again.json()["error"]["code"] == "not_found"

        assert (await carl.delete(f"/api/conversations/{doomed}")).status_code == 204
        assert await left(third["id"]) == (0, 0, 0)

        assert (await carl.request("DELETE", "/api/me", json={})).status_code == 204
        assert await left(second["id"]) == (0, 0, 0)
        assert await rows(engine, "SELECT count(*) FROM files WHERE user_id = :id", id=hex_id(engine, me)) == 0
        if engine.dialect.name == "sqlite":  # the full-text index forgot them too
            assert await rows(engine, "SELECT count(*) FROM chunks_search WHERE chunks_search MATCH 'epsilon'") == 0


async def test_an_ingestion_whose_worker_died_is_taken_again_and_goes_on(
    ada: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    conversation_id = await new_conversation(ada)
    file = await uploaded(ada, conversation_id, "long.txt", " ".join(f"word{n}" for n in range(600)).encode())
    ready = await settled(ada, conversation_id, file["id"])
    assert ready["status"] == "ready" and ready["chunks_total"] > 4
    key = hex_id(engine, file["id"])
    # As a worker that died after embedding the first batch: its job still leased (run out), half the vectors.
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE chunks SET embedding = NULL WHERE file_id = :id AND ordinal >= 4"), {"id": key}
        )
        await connection.execute(
            text("UPDATE files SET status = 'embedding', chunks_done = 4 WHERE id = :id"), {"id": key}
        )
        await connection.execute(
            text("INSERT INTO ingest_jobs (file_id, attempts, lease_expires_at, created_at) VALUES (:id, 1, :at, :at)"),
            {"id": key, "at": utcnow() - timedelta(seconds=1)},
        )
    resumed = await settled(ada, conversation_id, file["id"])
    assert resumed["status"] == "ready" and resumed["chunks_done"] == resumed["chunks_total"] == ready["chunks_total"]
    assert await rows(engine, "SELECT count(*) FROM ingest_jobs WHERE file_id = :id", id=key) == 0
    assert await rows(engine, "SELECT count(*) FROM chunks WHERE file_id = :id AND embedding IS NULL", id=key) == 0

    # One that kept dying: given up, visibly, not left "embedding" for ever.
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE files SET status = 'embedding' WHERE id = :id"), {"id": key})
        await connection.execute(
            text("INSERT INTO ingest_jobs (file_id, attempts, lease_expires_at, created_at) VALUES (:id, 3, :at, :at)"),
            {"id": key, "at": utcnow() - timedelta(seconds=1)},
        )
    failed = await settled(ada, conversation_id, file["id"])
    assert failed["status"] == "failed" and "interrupted 3 times" in failed["reason"]


async def test_the_embedding_service_failing_is_retried_then_a_failed_file(
    ada: httpx.AsyncClient, emulator: Emulator
) -> None:
    conversation_id = await new_conversation(ada)
    tag = uuid.uuid4().hex
    limited = f"Rate limits are retried.\n@emulator fault=429 retry_after=0.2 fail_times=1 tag={tag}\n".encode()
    file = await uploaded(ada, conversation_id, "limited.txt", limited)
    assert (await settled(ada, conversation_id, file["id"]))["status"] == "ready"
    attempts = [(record.status, record.attempt) for record in emulator.log.recent(tag=tag)]
    assert attempts == [(429, 1), (200, 2)]

    broken = b"The service fails here.\n@emulator fault=500\n"
    file = await uploaded(ada, conversation_id, "broken.txt", broken)
    failed = await settled(ada, conversation_id, file["id"])
    assert failed["status"] == "failed" and failed["reason"] == "The embedding service refused the text (HTTP 500)."
    assert failed["chunks_done"] == 0


async def test_embedding_tokens_count_against_the_budget(api_server: ApiFactory, store: dict[str, str]) -> None:
    if "REDIS_URL" not in store:
        pytest.skip("budgets need Redis (the Postgres variant has it)")
    with api_server(GUEST_TOKENS_PER_DAY=2_000, **store) as served:
        async with signed_in(served) as http:
            conversation_id = await new_conversation(http)
            big = await upload(http, conversation_id, "big.txt", b"word " * 2_000)  # ~3,300 tokens
            assert big.status_code == 429 and big.json()["error"]["code"] == "quota_exceeded"
            assert await files_of(http, conversation_id) == []  # refused before any work
            # A PDF's text is known once read: charged then, before any embedding; past the budget it fails.
            pdf = await uploaded(http, conversation_id, "long.pdf", make_pdf(["many words here " * 40] * 12))
            failed = await settled(http, conversation_id, pdf["id"])
            assert failed["status"] == "failed" and "left of today's budget" in failed["reason"], failed
            small = await uploaded(http, conversation_id, "small.txt", b"A short note about tea.")
            assert (await settled(http, conversation_id, small["id"]))["status"] == "ready"
            usage = (await http.get("/api/me/usage")).json()
            assert usage["tokens_per_day"]["used"] >= 8  # the note's tokens were charged


async def test_a_postgres_without_vectors_turns_documents_off_and_says_so(
    api_server: ApiFactory, postgres: Databases, redis_url: str
) -> None:
    """As a server without pgvector is migrated (no vector column): uploads are a 503, the tool says so."""
    url = await postgres.new()
    engine = create_engine(DatabaseSettings(DATABASE_URL=url))
    async with engine.begin() as connection:
        await connection.execute(text("ALTER TABLE chunks DROP COLUMN IF EXISTS embedding"))
    await engine.dispose()
    with api_server(DATABASE_URL=url, REDIS_URL=redis_url) as served:
        async with signed_in(served) as http:
            conversation_id = await new_conversation(http)
            response = await upload(http, conversation_id, "a.txt", b"hello")
            assert response.status_code == 503 and response.json()["error"]["code"] == "documents_unavailable"
            assert "not available on this server" in await ask(http, conversation_id, "hello")


async def test_vectors_of_another_length_than_configured_stop_the_start(postgres: Databases) -> None:
    await pgvector_or_skip(postgres)
    engine = create_engine(DatabaseSettings(DATABASE_URL=await postgres.new()))
    try:
        async with engine.connect() as connection:
            session = AsyncSession(bind=connection)
            await check_postgres(session, 1536)  # the migration's default length
            with pytest.raises(RuntimeError, match="1536 long, EMBEDDING_DIMENSIONS is 256"):
                await check_postgres(session, 256)
            await connection.execute(text("ALTER TABLE chunks DROP COLUMN embedding"))
            with pytest.raises(DocumentsUnavailable, match="no pgvector"):
                await check_postgres(session, 1536)
    finally:
        await engine.dispose()
