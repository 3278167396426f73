"""Share links: a snapshot of one branch, read by anyone with the link and no account; listed and revoked by
their owner alone; gone with the conversation or the account; every bad link the same 404 for the same work.
On SQLite and Postgres."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from httpx_sse import aconnect_sse

from .conftest import ACCOUNT_PASSWORD, ApiFactory, signed_in, signed_up
from .test_conversations import new_conversation, say
from .test_guest_and_import_limits import assert_refused, statements_counted

SECRET = "a-test-signing-secret-of-forty-characters"
PRIVATE = {"cache-control": "no-store", "x-robots-tag": "noindex, nofollow", "referrer-policy": "no-referrer"}


@pytest.fixture(scope="module")
async def url(api_server: ApiFactory, shared_store: dict[str, str]) -> AsyncIterator[str]:
    with api_server(AUTH_SECRET=SECRET, **shared_store) as served:
        yield served


@pytest.fixture
async def ada(url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_up(url) as http:
        yield http


@pytest.fixture
async def bo(url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with signed_up(url) as http:
        yield http


@pytest.fixture
async def viewer(url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Someone with the link and no account."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        yield http


async def turn(http: httpx.AsyncClient, conversation_id: str, text: str, **body: Any) -> dict[str, Any]:
    events = await say(http, conversation_id, f"{text}\n@emulator tokens=3", **body)
    start: dict[str, Any] = next(data for name, data in events if name == "start")
    return start


async def share(http: httpx.AsyncClient, conversation_id: str, message_id: str) -> dict[str, Any]:
    response = await http.post(f"/api/conversations/{conversation_id}/shares", json={"message_id": message_id})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_gone(response: httpx.Response) -> None:
    assert response.status_code == 404, response.text
    assert response.json()["error"] == {
        "code": "not_found",
        "message": "No such shared conversation: the link is wrong or was revoked.",
    }
    assert {name: response.headers.get(name) for name in PRIVATE} == PRIVATE


async def test_a_link_shows_the_branch_as_it_was_to_anyone_without_an_account(
    ada: httpx.AsyncClient, viewer: httpx.AsyncClient
) -> None:
    conversation = await new_conversation(ada, "Streams, explained")
    first = await turn(ada, conversation["id"], "What is SSE?")
    second = await turn(ada, conversation["id"], "And WebSockets?")
    created = await share(ada, conversation["id"], second["assistant_message_id"])
    assert created["title"] == "Streams, explained" and created["message_count"] == 4
    assert created["conversation_id"] == conversation["id"] and len(created["token"]) >= 32

    shown = await viewer.get(f"/api/shared/{created['token']}")
    assert shown.status_code == 200, shown.text
    assert {name: shown.headers.get(name) for name in PRIVATE} == PRIVATE
    body = shown.json()
    assert body["version"] == 1 and body["title"] == "Streams, explained"
    assert [(m["role"], m["content"].split("\n")[0]) for m in body["messages"]][::2] == [
        ("user", "What is SSE?"),
        ("user", "And WebSockets?"),
    ]
    assert all(m["role"] == "assistant" and m["status"] == "done" for m in body["messages"][1::2])
    # Nothing of the owner's: no ids to reach the conversation by, no user.
    for secret in (conversation["id"], first["assistant_message_id"], created["id"]):
        assert secret not in shown.text


async def test_a_shared_answer_keeps_its_tool_calls_and_results(
    ada: httpx.AsyncClient, viewer: httpx.AsyncClient
) -> None:
    conversation = await new_conversation(ada)
    asked = await turn(ada, conversation["id"], 'Time?\n@emulator call current_time {"timezone": "Europe/Berlin"}')
    created = await share(ada, conversation["id"], asked["assistant_message_id"])
    question, answer = (await viewer.get(f"/api/shared/{created['token']}")).json()["messages"]
    assert question["parts"] is None
    assert [part["type"] for part in answer["parts"]] == ["tool_call", "tool_result", "text"]
    call, result, text = answer["parts"]
    assert call["tool"] == "builtin-current_time" and '"Europe/Berlin"' in call["arguments"]
    assert result["status"] == "ok" and "Europe/Berlin" in result["preview"] and "output" not in result
    assert text["text"] == answer["content"]


async def test_the_snapshot_does_not_follow_the_conversation(ada: httpx.AsyncClient, viewer: httpx.AsyncClient) -> None:
    conversation = await new_conversation(ada, "Before")
    first = await turn(ada, conversation["id"], "One")
    created = await share(ada, conversation["id"], first["assistant_message_id"])
    before = (await viewer.get(f"/api/shared/{created['token']}")).json()

    await turn(ada, conversation["id"], "Two")  # the branch goes on
    await turn(ada, conversation["id"], "One, edited", parent_id=None)  # an edit: another branch
    await ada.patch(f"/api/conversations/{conversation['id']}", json={"title": "After"})

    after = (await viewer.get(f"/api/shared/{created['token']}")).json()
    assert after == before and after["title"] == "Before" and len(after["messages"]) == 2


async def test_a_branch_up_to_an_earlier_message_shares_only_that_far(ada: httpx.AsyncClient) -> None:
    conversation = await new_conversation(ada)
    first = await turn(ada, conversation["id"], "One")
    await turn(ada, conversation["id"], "Two")
    created = await share(ada, conversation["id"], first["user_message_id"])
    assert created["message_count"] == 1


async def test_the_owner_lists_and_revokes_and_a_revoked_link_is_gone_at_once(
    ada: httpx.AsyncClient, viewer: httpx.AsyncClient
) -> None:
    conversation = await new_conversation(ada)
    answer = (await turn(ada, conversation["id"], "hi"))["assistant_message_id"]
    other = await new_conversation(ada)
    other_answer = (await turn(ada, other["id"], "hi"))["assistant_message_id"]
    links = [await share(ada, conversation["id"], answer) for _ in range(3)]
    elsewhere = await share(ada, other["id"], other_answer)

    listed = (await ada.get("/api/shares", params={"limit": 2})).json()
    assert [item["id"] for item in listed["items"]] == [elsewhere["id"], links[2]["id"]]
    rest = (await ada.get("/api/shares", params={"limit": 2, "cursor": listed["next_cursor"]})).json()
    assert [item["id"] for item in rest["items"]] == [links[1]["id"], links[0]["id"]] and rest["next_cursor"] is None
    assert all("token" not in item for item in listed["items"] + rest["items"])  # shown once, at creation
    only = (await ada.get("/api/shares", params={"conversation_id": other["id"]})).json()
    assert [item["id"] for item in only["items"]] == [elsewhere["id"]]

    assert (await ada.delete(f"/api/shares/{links[0]['id']}")).status_code == 204
    assert_gone(await viewer.get(f"/api/shared/{links[0]['token']}"))
    assert (await viewer.get(f"/api/shared/{links[1]['token']}")).status_code == 200  # the others stay
    assert (await ada.delete(f"/api/shares/{links[0]['id']}")).status_code == 404
    remaining = (await ada.get("/api/shares", params={"conversation_id": conversation["id"]})).json()["items"]
    assert {item["id"] for item in remaining} == {links[1]["id"], links[2]["id"]}


async def test_another_user_cannot_share_list_or_revoke_what_is_not_theirs(
    ada: httpx.AsyncClient, bo: httpx.AsyncClient, viewer: httpx.AsyncClient
) -> None:
    conversation = await new_conversation(ada)
    answer = (await turn(ada, conversation["id"], "mine"))["assistant_message_id"]
    created = await share(ada, conversation["id"], answer)
    theirs = await new_conversation(bo)
    attempts = [
        await bo.post(f"/api/conversations/{conversation['id']}/shares", json={"message_id": answer}),
        await bo.post(f"/api/conversations/{theirs['id']}/shares", json={"message_id": answer}),
        await bo.delete(f"/api/shares/{created['id']}"),
        await ada.post(f"/api/conversations/{conversation['id']}/shares", json={"message_id": str(uuid.uuid4())}),
        await ada.delete(f"/api/shares/{uuid.uuid4()}"),
    ]
    assert [response.status_code for response in attempts] == [404] * 5
    assert all(response.json()["error"]["code"] == "not_found" for response in attempts)
    assert (await bo.get("/api/shares")).json()["items"] == []
    assert (await bo.get("/api/shares", params={"conversation_id": conversation["id"]})).json()["items"] == []
    assert (await viewer.get(f"/api/shared/{created['token']}")).status_code == 200  # still there


async def test_the_shared_page_never_looks_at_a_session(ada: httpx.AsyncClient, viewer: httpx.AsyncClient) -> None:
    """Its viewers' credentials, good, bad or another user's, are neither checked nor used."""
    conversation = await new_conversation(ada)
    answer = (await turn(ada, conversation["id"], "hi"))["assistant_message_id"]
    created = await share(ada, conversation["id"], answer)
    path = f"/api/shared/{created['token']}"
    plain = await viewer.get(path)
    for headers in (
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": ada.headers["Authorization"]},
        {"Cookie": "chat_refresh=stolen"},
    ):
        response = await viewer.get(path, headers=headers)
        assert response.status_code == 200 and response.json() == plain.json()
        assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    "token",
    [
        "",
        "x",
        "A" * 32,  # well-formed, guessed
        "a/b/../c",
        "%00",
        "ä" * 40,
        "x" * 2000,
        "'; DROP TABLE shares;--",
    ],
)
async def test_bad_links_are_all_the_same_404(viewer: httpx.AsyncClient, token: str) -> None:
    assert_gone(await viewer.get(f"/api/shared/{token}"))


async def test_every_bad_link_is_the_same_work_as_a_revoked_one(
    ada: httpx.AsyncClient, viewer: httpx.AsyncClient
) -> None:
    """A revoked, guessed or malformed link costs one indexed read by the token's hash, the same statement each
    time: nothing in the time taken tells them apart."""
    conversation = await new_conversation(ada)
    answer = (await turn(ada, conversation["id"], "hi"))["assistant_message_id"]
    revoked = await share(ada, conversation["id"], answer)
    await ada.delete(f"/api/shares/{revoked['id']}")
    sent: list[list[str]] = []
    for token in (revoked["token"], "B" * 32, "not a token", ""):
        with statements_counted() as statements:
            assert_gone(await viewer.get(f"/api/shared/{token}"))
        sent.append([s for s in statements if "shares" in s])
    assert all(len(statements) == 1 for statements in sent), sent
    assert len({statements[0] for statements in sent}) == 1  # the very same statement
    assert "token_hash" in sent[0][0]


async def test_a_guest_cannot_share(url: str) -> None:
    """A link is public: it is published by an account, not by anyone who opened the page a minute ago."""
    async with signed_in(url) as guest:
        conversation = await new_conversation(guest)
        answer = (await turn(guest, conversation["id"], "mine"))["assistant_message_id"]
        path = f"/api/conversations/{conversation['id']}/shares"
        refused = await guest.post(path, json={"message_id": answer})
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"] == {"code": "sign_in_to_share", "message": "Sign in to share a conversation."}
        malformed = await guest.post(path, json={})  # a bad body is a bad body, for anyone
        assert malformed.status_code == 422 and malformed.json()["error"]["code"] == "invalid_request"
        assert (await guest.get("/api/shares")).json()["items"] == []
        # Once it has an account (the same user, its conversations kept), it may.
        registered = await guest.post(
            "/api/auth/register", json={"email": f"{uuid.uuid4().hex[:12]}@example.com", "password": ACCOUNT_PASSWORD}
        )
        guest.headers["Authorization"] = f"Bearer {registered.json()['access_token']}"
        assert (await share(guest, conversation["id"], answer))["message_count"] == 2


async def test_sharing_needs_a_message_of_the_conversation_and_json(ada: httpx.AsyncClient) -> None:
    conversation = await new_conversation(ada)
    path = f"/api/conversations/{conversation['id']}/shares"
    empty = await ada.post(path, json={"message_id": str(uuid.uuid4())})
    assert empty.status_code == 404
    for body, says in (({}, "message_id"), ({"message_id": "nope"}, "message_id"), ({"message_id": 1, "x": 2}, "")):
        response = await ada.post(path, json=body)
        assert response.status_code == 422 and response.json()["error"]["message"].startswith(says)
    assert (await ada.post(path, content=b"message_id=1")).status_code == 415


async def test_deleting_the_conversation_or_the_account_revokes_its_links(url: str, viewer: httpx.AsyncClient) -> None:
    async with signed_up(url) as cy:
        kept = await new_conversation(cy)
        gone = await new_conversation(cy)
        kept_link = await share(cy, kept["id"], (await turn(cy, kept["id"], "kept"))["assistant_message_id"])
        gone_link = await share(cy, gone["id"], (await turn(cy, gone["id"], "gone"))["assistant_message_id"])
        assert (await cy.delete(f"/api/conversations/{gone['id']}")).status_code == 204
        assert_gone(await viewer.get(f"/api/shared/{gone_link['token']}"))
        assert (await viewer.get(f"/api/shared/{kept_link['token']}")).status_code == 200
        assert [item["id"] for item in (await cy.get("/api/shares")).json()["items"]] == [kept_link["id"]]
        assert (await cy.request("DELETE", "/api/me", json={"password": ACCOUNT_PASSWORD})).status_code == 204
    assert_gone(await viewer.get(f"/api/shared/{kept_link['token']}"))


async def test_creating_links_is_rate_limited_per_user(api_server: ApiFactory, postgres: Any, redis_url: str) -> None:
    shared = {"DATABASE_URL": await postgres.new(), "REDIS_URL": redis_url, "SHARES_CREATED_PER_HOUR": 2}
    with api_server(AUTH_SECRET=SECRET, **shared) as url:
        async with signed_up(url) as ada, signed_up(url) as bo:
            conversation = await new_conversation(ada)
            answer = (await turn(ada, conversation["id"], "hi"))["assistant_message_id"]
            path = f"/api/conversations/{conversation['id']}/shares"
            created = [await ada.post(path, json={"message_id": answer}) for _ in range(3)]
            theirs = await new_conversation(bo)
            their_answer = (await turn(bo, theirs["id"], "hi"))["assistant_message_id"]
            others = await bo.post(f"/api/conversations/{theirs['id']}/shares", json={"message_id": their_answer})
            listed = (await ada.get("/api/shares")).json()["items"]
    assert [reply.status_code for reply in created] == [201, 201, 429]
    assert_refused(created[-1], "rate_limited", "too many share links this hour")
    assert others.status_code == 201  # each user has a limit of their own
    assert len(listed) == 2  # nothing of a refused request was written


async def test_a_branch_is_shared_once_its_answer_has_ended(ada: httpx.AsyncClient) -> None:
    conversation = await new_conversation(ada)
    started: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def send() -> None:
        body = {"content": "slowly\n@emulator ttft_ms=0 token_ms=30 tokens=20"}
        async with aconnect_sse(ada, "POST", f"/api/conversations/{conversation['id']}/messages", json=body) as events:
            async for event in events.aiter_sse():
                if event.event == "start":
                    started.put_nowait(event.json())

    sending = asyncio.create_task(send())
    answer = (await started.get())["assistant_message_id"]
    busy = await ada.post(f"/api/conversations/{conversation['id']}/shares", json={"message_id": answer})
    await sending
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "conflict"
    assert (await share(ada, conversation["id"], answer))["message_count"] == 2
