"""Votes on answers: changeable, withdrawn, shown with the messages, each user's own; on SQLite and Postgres.
And the operators' CSV export of them, which no spreadsheet can run."""

import csv
import io
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from chat_api.feedback.export import inert
from chat_api.settings import DatabaseSettings
from chat_api.storage.models import Feedback

from .conftest import ApiFactory, signed_in
from .test_admin import TIERS, operator
from .test_conversations import new_conversation, say

SECRET = "a-test-signing-secret-of-forty-characters"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
async def url(api_server: ApiFactory, shared_store: dict[str, str]) -> AsyncIterator[str]:
    with api_server(AUTH_SECRET=SECRET, TIERS=TIERS, **shared_store) as served:
        yield served


async def answered(http: httpx.AsyncClient, text: str = "hello") -> tuple[str, str, str]:
    """A new conversation with one question and its answer: their ids."""
    conversation = await new_conversation(http)
    start = next(
        data for name, data in await say(http, conversation["id"], f"{text}\n@emulator tokens=3") if name == "start"
    )
    return conversation["id"], start["user_message_id"], start["assistant_message_id"]


def feedback_path(conversation_id: str, message_id: str) -> str:
    return f"/api/conversations/{conversation_id}/messages/{message_id}/feedback"


async def shown_vote(http: httpx.AsyncClient, conversation_id: str, message_id: str) -> Any:
    detail = (await http.get(f"/api/conversations/{conversation_id}")).json()
    return next(item for item in detail["messages"]["items"] if item["id"] == message_id)["feedback"]


async def test_a_vote_is_shown_changed_and_withdrawn(ada: httpx.AsyncClient) -> None:
    conversation, question, answer = await answered(ada)
    path = feedback_path(conversation, answer)
    assert await shown_vote(ada, conversation, answer) is None

    up = await ada.put(path, json={"rating": "up", "reason": "helpful"})
    assert up.status_code == 200, up.text
    assert up.json()["rating"] == "up" and up.json()["reason"] == "helpful" and up.json()["comment"] is None
    assert (await shown_vote(ada, conversation, answer))["rating"] == "up"
    assert await shown_vote(ada, conversation, question) is None

    down = await ada.put(path, json={"rating": "down", "reason": "inaccurate", "comment": "  It said 2+2=5.  "})
    assert down.status_code == 200, down.text
    shown = await shown_vote(ada, conversation, answer)
    assert shown["rating"] == "down" and shown["reason"] == "inaccurate" and shown["comment"] == "  It said 2+2=5.  "
    page = (await ada.get(f"/api/conversations/{conversation}/messages")).json()
    assert next(item for item in page["items"] if item["id"] == answer)["feedback"]["rating"] == "down"
    siblings = (await ada.get(f"/api/conversations/{conversation}/messages/{answer}/siblings")).json()
    assert siblings[0]["feedback"]["reason"] == "inaccurate"

    assert (await ada.delete(path)).status_code == 204
    assert await shown_vote(ada, conversation, answer) is None
    assert (await ada.delete(path)).status_code == 204  # withdrawing twice is withdrawing


async def test_one_vote_per_answer_however_often_it_changes(
    ada: httpx.AsyncClient, shared_store: dict[str, str]
) -> None:
    conversation, _, answer = await answered(ada)
    for rating in ("up", "down", "down", "up"):
        assert (await ada.put(feedback_path(conversation, answer), json={"rating": rating})).status_code == 200
    engine = create_async_engine(DatabaseSettings(**shared_store).database_url)  # type: ignore[arg-type]
    async with engine.connect() as connection:
        rows = (await connection.execute(select(Feedback).where(Feedback.message_id == uuid.UUID(answer)))).all()
    await engine.dispose()
    assert len(rows) == 1 and rows[0].rating == "up" and rows[0].model == "chat"  # the answer's model


async def test_another_users_answer_is_not_found_and_their_votes_are_apart(
    ada: httpx.AsyncClient, bo: httpx.AsyncClient
) -> None:
    conversation, _, answer = await answered(ada)
    assert (await ada.put(feedback_path(conversation, answer), json={"rating": "up"})).status_code == 200
    theirs, _, their_answer = await answered(bo)
    attempts = [
        await bo.put(feedback_path(conversation, answer), json={"rating": "down"}),
        await bo.delete(feedback_path(conversation, answer)),
        # Ada's answer through Bo's conversation: the answer must belong to the conversation named.
        await bo.put(feedback_path(theirs, answer), json={"rating": "down"}),
        await ada.put(feedback_path(theirs, their_answer), json={"rating": "down"}),
        await ada.put(feedback_path(conversation, str(uuid.uuid4())), json={"rating": "down"}),
        await ada.put(feedback_path(str(uuid.uuid4()), answer), json={"rating": "down"}),
    ]
    for response in attempts:
        assert response.status_code == 404, response.text
        assert response.json()["error"] == {"code": "not_found", "message": "No such answer in this conversation."}
    assert (await shown_vote(ada, conversation, answer))["rating"] == "up"  # untouched by Bo's attempts
    assert await shown_vote(bo, theirs, their_answer) is None


async def test_a_question_takes_no_vote(ada: httpx.AsyncClient) -> None:
    conversation, question, _ = await answered(ada)
    response = await ada.put(feedback_path(conversation, question), json={"rating": "up"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "rating"),
        ({"rating": "meh"}, "rating"),
        ({"rating": "up", "reason": "inaccurate"}, "reason: 'inaccurate' is not a reason for a thumbs up"),
        ({"rating": "down", "reason": "because"}, "reason"),
        ({"rating": "down", "comment": "x" * 1001}, "comment"),
        ({"rating": "down", "comment": "nul\u0000"}, "comment"),
        ({"rating": "down", "comment": 5}, "comment"),
        ({"rating": "down", "extra": 1}, "extra"),
        ([], ""),
    ],
)
async def test_bad_votes_are_422_naming_the_field(ada: httpx.AsyncClient, body: Any, says: str) -> None:
    conversation, _, answer = await answered(ada)
    response = await ada.put(feedback_path(conversation, answer), json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request" and response.json()["error"]["message"].startswith(
        says
    )
    assert await shown_vote(ada, conversation, answer) is None


async def test_a_vote_needs_json_and_a_user(ada: httpx.AsyncClient, url: str) -> None:
    conversation, _, answer = await answered(ada)
    not_json = await ada.put(feedback_path(conversation, answer), content=b"rating=up")
    assert not_json.status_code == 415
    async with httpx.AsyncClient(base_url=url) as anonymous:
        response = await anonymous.put(feedback_path(conversation, answer), json={"rating": "up"})
    assert response.status_code == 401


async def test_deleting_the_conversation_or_the_account_deletes_its_votes(
    url: str, shared_store: dict[str, str]
) -> None:
    async with signed_in(url) as cy:
        kept, _, kept_answer = await answered(cy)
        gone, _, gone_answer = await answered(cy)
        for conversation, answer in ((kept, kept_answer), (gone, gone_answer)):
            assert (await cy.put(feedback_path(conversation, answer), json={"rating": "up"})).status_code == 200
        assert (await cy.delete(f"/api/conversations/{gone}")).status_code == 204
        assert await votes_on(shared_store, kept_answer, gone_answer) == {kept_answer}
        assert (await cy.request("DELETE", "/api/me", json={})).status_code == 204
    assert await votes_on(shared_store, kept_answer, gone_answer) == set()


async def votes_on(store: dict[str, str], *answers: str) -> set[str]:
    engine = create_async_engine(DatabaseSettings(**store).database_url)  # type: ignore[arg-type]
    async with engine.connect() as connection:
        found = await connection.scalars(
            select(Feedback.message_id).where(Feedback.message_id.in_([uuid.UUID(a) for a in answers]))
        )
        ids = {str(ident) for ident in found}
    await engine.dispose()
    return ids


def parsed(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body)))


async def test_operators_export_votes_as_csv_without_content_by_default(
    ada: httpx.AsyncClient, url: str, emulator_url: str, shared_store: dict[str, str]
) -> None:
    conversation, _, answer = await answered(ada, "=HYPERLINK(question)")
    hostile = '=cmd|" /C calc"!A0'
    vote = await ada.put(feedback_path(conversation, answer), json={"rating": "down", "comment": hostile})
    assert vote.status_code == 200
    async with operator(url, emulator_url, shared_store) as ops:
        export = await ops.get("/api/admin/feedback.csv")
    assert export.status_code == 200, export.text
    assert export.headers["content-type"] == "text/csv; charset=utf-8"
    assert export.headers["content-disposition"].startswith('attachment; filename="feedback-')
    assert export.headers["cache-control"] == "no-store"
    rows = parsed(export.text)
    assert "question" not in rows[0] and "answer" not in rows[0]  # ADMIN_SEES_FEEDBACK_CONTENT is off
    mine = next(row for row in rows if row["message_id"] == answer)
    assert mine["rating"] == "down" and mine["model"] == "chat" and mine["conversation_id"] == conversation
    assert mine["comment"] == "'" + hostile  # a formula no more
    assert "HYPERLINK" not in export.text


async def test_the_export_is_for_operators_only(ada: httpx.AsyncClient, url: str) -> None:
    refused = await ada.get("/api/admin/feedback.csv")  # a guest
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    registered = await ada.post("/api/auth/register", json={"email": "not-ops@example.com", "password": PASSWORD})
    ada.headers["Authorization"] = f"Bearer {registered.json()['access_token']}"
    assert (await ada.get("/api/admin/feedback.csv")).status_code == 403
    async with httpx.AsyncClient(base_url=url) as anonymous:
        assert (await anonymous.get("/api/admin/feedback.csv")).status_code == 401


async def test_the_export_filters_by_time_and_refuses_a_time_without_zone(
    ada: httpx.AsyncClient, url: str, emulator_url: str, shared_store: dict[str, str]
) -> None:
    conversation, _, answer = await answered(ada)
    assert (await ada.put(feedback_path(conversation, answer), json={"rating": "up"})).status_code == 200
    async with operator(url, emulator_url, shared_store) as ops:
        later = await ops.get("/api/admin/feedback.csv", params={"since": "2999-01-01T00:00:00Z"})
        naive = await ops.get("/api/admin/feedback.csv", params={"since": "2020-01-01T00:00:00"})
        one = await ops.get("/api/admin/feedback.csv", params={"since": "2020-01-01T00:00:00+00:00", "limit": 1})
    assert later.status_code == 200 and parsed(later.text) == []
    assert (
        naive.status_code == 422 and naive.json()["error"]["message"] == "query.since: Input should have timezone info"
    )
    assert len(parsed(one.text)) == 1


async def test_operators_see_the_question_and_answer_only_when_allowed(
    api_server: ApiFactory, emulator_url: str, database: dict[str, str]
) -> None:
    with api_server(AUTH_SECRET=SECRET, TIERS=TIERS, ADMIN_SEES_FEEDBACK_CONTENT=True, **database) as url:
        async with signed_in(url) as ada:
            conversation, _, answer = await answered(ada, "-2+3 is what?")
            await ada.put(feedback_path(conversation, answer), json={"rating": "up"})
            content = (await ada.get(f"/api/conversations/{conversation}")).json()["messages"]["items"][-1]["content"]
        async with operator(url, emulator_url, database) as ops:
            rows = parsed((await ops.get("/api/admin/feedback.csv")).text)
    (row,) = rows
    assert row["question"].startswith("'-2+3 is what?") and row["answer"] == inert(content)


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("fine = 1", "fine = 1"),
        ("", ""),
        (None, ""),
    ],
)
def test_no_cell_is_a_formula(cell: str | None, written: str) -> None:
    assert inert(cell) == written
