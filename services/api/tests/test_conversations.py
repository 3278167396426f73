"""Conversations on the server, scoped to their owner; on SQLite and Postgres."""

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from .conftest import ApiFactory, chat, sse_events

SECRET = "a-test-signing-secret-of-forty-characters"


@pytest.fixture(scope="module")
async def url(api_server: ApiFactory, shared_store: dict[str, str]) -> AsyncIterator[str]:
    with api_server(AUTH_SECRET=SECRET, MAX_BODY_BYTES=2_000_000, **shared_store) as served:
        yield served


async def new_conversation(http: httpx.AsyncClient, title: str | None = None) -> dict[str, Any]:
    response = await http.post("/api/conversations", json={"title": title} if title else {})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def say(http: httpx.AsyncClient, conversation_id: str, text: str, **body: Any) -> list[tuple[str, Any]]:
    response = await http.post(f"/api/conversations/{conversation_id}/messages", json={"content": text, **body})
    assert response.status_code == 200, response.text
    return sse_events(response)


async def test_create_list_rename_delete(ada: httpx.AsyncClient) -> None:
    first = await new_conversation(ada)
    assert first["title"] == "New chat"
    second = await new_conversation(ada, "Robert'); DROP TABLE conversations;--")
    listed = (await ada.get("/api/conversations")).json()
    assert [c["id"] for c in listed["items"]] == [second["id"], first["id"]] and listed["next_cursor"] is None
    renamed = await ada.patch(f"/api/conversations/{first['id']}", json={"title": "  Renamed  "})
    assert renamed.json()["title"] == "Renamed"
    assert (await ada.get("/api/conversations")).json()["items"][0]["id"] == first["id"]  # the renamed one is recent
    assert (await ada.delete(f"/api/conversations/{first['id']}")).status_code == 204
    assert (await ada.get(f"/api/conversations/{first['id']}")).status_code == 404
    assert (await ada.get(f"/api/conversations/{second['id']}")).json()["title"].startswith("Robert'); DROP")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x" * 201}, "title"),
        ({"title": ""}, "title"),
        ({"title": 5}, "title"),
        ({"title": "ok", "nope": 1}, "nope"),
    ],
)
async def test_bad_titles_are_422(ada: httpx.AsyncClient, body: dict[str, Any], field: str) -> None:
    conversation = await new_conversation(ada)
    response = await ada.patch(f"/api/conversations/{conversation['id']}", json=body)
    assert response.status_code == 422 and response.json()["error"]["message"].startswith(field)


async def test_pages_go_back_in_time_without_gaps_or_repeats(ada: httpx.AsyncClient) -> None:
    made = [(await new_conversation(ada, f"c{index}"))["id"] for index in range(23)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        page = (await ada.get("/api/conversations", params=params)).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made[::-1]
    bad = await ada.get("/api/conversations", params={"cursor": "not-a-cursor!"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"
    far = await ada.get("/api/conversations", params={"cursor": "9" * 20 + "." + "f" * 32})  # well-formed: a place
    assert far.status_code == 200 and len(far.json()["items"]) == 23


async def test_another_users_conversation_is_not_found_on_every_route(
    ada: httpx.AsyncClient, bo: httpx.AsyncClient
) -> None:
    mine = await new_conversation(ada)
    events = await say(ada, mine["id"], "hello\n@emulator tokens=3")
    answer = next(data for name, data in events if name == "start")["assistant_message_id"]
    base = f"/api/conversations/{mine['id']}"
    attempts = [
        await bo.get(base),
        await bo.patch(base, json={"title": "mine now"}),
        await bo.delete(base),
        await bo.get(f"{base}/messages"),
        await bo.get(f"{base}/export"),
        await bo.put(f"{base}/branch", json={"message_id": answer}),
        await bo.get(f"{base}/messages/{answer}/siblings"),
        await bo.post(f"{base}/messages", json={"content": "hi"}),
        await bo.post(f"{base}/messages/{answer}/retry", json={}),
        await bo.get(f"/api/generations/{answer}/events"),
        await bo.post(f"/api/generations/{answer}/stop"),
    ]
    missing = await bo.get(f"/api/conversations/{uuid.uuid4()}")
    for response in attempts:
        assert response.status_code == 404, (response.request.url, response.text)
        assert response.json()["error"]["code"] == "not_found"
    assert attempts[0].json() == missing.json()  # a stranger's and a missing one read the same
    assert (await bo.get("/api/conversations")).json()["items"] == []
    assert (await ada.get(base)).json()["title"] != "mine now"


async def test_every_route_needs_a_user(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as anonymous:
        for method, path in [("GET", "/api/conversations"), ("POST", "/api/conversations"), ("GET", "/api/me")]:
            response = await anonymous.request(method, path, json={} if method == "POST" else None)
            assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"


async def test_a_conversation_of_a_thousand_messages_pages_correctly(ada: httpx.AsyncClient) -> None:
    messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"message {i}"} for i in range(1000)]
    imported = await ada.post(
        "/api/conversations/import", json={"conversations": [{"title": "Long", "messages": messages}]}
    )
    assert imported.status_code == 201, imported.text
    conversation_id = imported.json()["conversations"][0]["id"]
    detail = (await ada.get(f"/api/conversations/{conversation_id}")).json()
    page = detail["messages"]
    contents = [m["content"] for m in page["items"]]
    while page["earlier"] is not None:
        params: dict[str, Any] = {"before": page["earlier"], "limit": 200}
        page = (await ada.get(f"/api/conversations/{conversation_id}/messages", params=params)).json()
        contents = [m["content"] for m in page["items"]] + contents
    assert contents == [f"message {i}" for i in range(1000)]


@pytest.mark.parametrize("text", ["nul \u0000 byte", "lone \ud800 surrogate"])
async def test_text_a_database_cannot_keep_is_422_not_500(ada: httpx.AsyncClient, text: str) -> None:
    body = {"conversations": [{"title": "ok", "messages": [{"role": "user", "content": text}]}]}
    for response in (
        await ada.post(
            "/api/conversations/import", content=json.dumps(body), headers={"Content-Type": "application/json"}
        ),
        await ada.post(
            "/api/conversations", content=json.dumps({"title": text}), headers={"Content-Type": "application/json"}
        ),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "invalid_request"


async def test_import_keeps_what_each_message_was(ada: httpx.AsyncClient) -> None:
    body = {
        "conversations": [
            {
                "title": "From the browser",
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "partial", "status": "stopped"},
                    {"role": "user", "content": "again"},
                    {"role": "assistant", "content": "cut", "status": "streaming"},
                ],
            }
        ]
    }
    imported = (await ada.post("/api/conversations/import", json=body)).json()["conversations"][0]
    items = (await ada.get(f"/api/conversations/{imported['id']}")).json()["messages"]["items"]
    assert [(m["role"], m["content"], m["status"]) for m in items] == [
        ("user", "hi", "done"),
        ("assistant", "partial", "stopped"),
        ("user", "again", "done"),
        ("assistant", "cut", "stopped"),  # an answer a reload cut off was stopped, not still streaming
    ]


async def test_export_as_markdown_and_as_json(ada: httpx.AsyncClient) -> None:
    conversation = await new_conversation(ada, "Résumé: streams & SSE")
    await say(ada, conversation["id"], "Explain streams\n@emulator tokens=20")
    markdown = await ada.get(f"/api/conversations/{conversation['id']}/export")
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert 'filename="r-sum-streams-sse.md"' in markdown.headers["content-disposition"]
    assert markdown.text.startswith("# Résumé: streams & SSE") and "## You\n\nExplain streams" in markdown.text
    document = (await ada.get(f"/api/conversations/{conversation['id']}/export", params={"format": "json"})).json()
    assert [m["role"] for m in document["messages"]] == ["user", "assistant"]
    assert document["branch"] == [m["id"] for m in document["messages"]]
    assert (
        await ada.get(f"/api/conversations/{conversation['id']}/export", params={"format": "pdf"})
    ).status_code == 422


async def test_the_title_comes_from_the_first_message(ada: httpx.AsyncClient) -> None:
    conversation = await new_conversation(ada)
    await say(ada, conversation["id"], "How do   server-sent events work over HTTP/2 and proxies?\n@emulator tokens=3")
    title = (await ada.get(f"/api/conversations/{conversation['id']}")).json()["title"]
    assert title == "How do server-sent events work over HTTP/2 and…"


__all__ = ["chat"]
