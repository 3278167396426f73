"""The user's saved memories: added (bounded, duplicates folded), listed newest first, deleted one or all
(another user's is not found), gone with the account, and rendered for the system prompt within a bound."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from chat_api.chat.tokens import text_tokens
from chat_api.http.errors import ApiError
from chat_api.settings import DatabaseSettings
from chat_api.storage.engine import Sessions, create_engine, create_sessions
from chat_api.user_memories.prompt import HEADER, memories_for_prompt, render_memories
from chat_api.user_memories.service import UserMemories

from .conftest import ApiFactory, signed_in


@pytest.fixture
async def served(api_server: ApiFactory, database: dict[str, str]) -> AsyncIterator[tuple[str, Sessions]]:
    """An api on a fresh store, and sessions of its database (memories are saved by a tool, not a route)."""
    with api_server(**database) as url:
        engine = create_engine(DatabaseSettings(**{k: v for k, v in database.items() if k != "REDIS_URL"}))  # type: ignore[arg-type]
        yield url, create_sessions(engine)
        await engine.dispose()


async def user_id_of(http: httpx.AsyncClient) -> uuid.UUID:
    return uuid.UUID((await http.get("/api/me")).json()["id"])


async def listed(http: httpx.AsyncClient) -> list[str]:
    response = await http.get("/api/me/memories")
    assert response.status_code == 200, response.text
    return [item["content"] for item in response.json()["items"]]


async def test_saved_listed_newest_first_and_folded(served: tuple[str, Sessions]) -> None:
    url, sessions = served
    memories = UserMemories(sessions, max_per_user=3)
    async with signed_in(url) as ada:
        me = await user_id_of(ada)
        await memories.add(me, "Ada prefers metric units.")
        await memories.add(me, "  Ada's   cat is called\nTuring. ")
        await memories.add(me, "ADA PREFERS METRIC UNITS.")  # the first again: kept once, now the newest
        assert await listed(ada) == ["ADA PREFERS METRIC UNITS.", "Ada's cat is called Turing."]
        await memories.add(me, "Ada works in Leeds.")
        with pytest.raises(ApiError) as full:
            await memories.add(me, "Ada plays the cello.")
        assert full.value.status == 409 and full.value.code == "memories_full"
        for bad in ("", "   ", "x" * 501, "nul\x00"):
            with pytest.raises(ApiError) as refused:
                await memories.add(me, bad)
            assert refused.value.status == 422
        assert len(await listed(ada)) == 3


async def test_deleted_one_or_all_and_never_anothers(served: tuple[str, Sessions]) -> None:
    url, sessions = served
    memories = UserMemories(sessions, max_per_user=10)
    async with signed_in(url) as ada, signed_in(url) as bo:
        ada_id, bo_id = await user_id_of(ada), await user_id_of(bo)
        kept = await memories.add(ada_id, "Ada likes tea.")
        await memories.add(ada_id, "Ada likes rain.")
        theirs = await memories.add(bo_id, "Bo likes coffee.")
        assert await listed(bo) == ["Bo likes coffee."]

        refused = await ada.delete(f"/api/me/memories/{theirs.id}")
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
        assert await listed(bo) == ["Bo likes coffee."]
        assert (await ada.delete(f"/api/me/memories/{uuid.uuid4()}")).status_code == 404
        assert (await ada.delete("/api/me/memories/not-an-id")).status_code in (404, 422)

        assert (await ada.delete(f"/api/me/memories/{kept.id}")).status_code == 204
        assert await listed(ada) == ["Ada likes rain."]
        assert (await ada.delete("/api/me/memories")).status_code == 204
        assert await listed(ada) == []
        assert await listed(bo) == ["Bo likes coffee."]


async def test_gone_with_the_account(served: tuple[str, Sessions]) -> None:
    url, sessions = served
    memories = UserMemories(sessions, max_per_user=10)
    async with signed_in(url) as ada:
        me = await user_id_of(ada)
        await memories.add(me, "Ada likes tea.")
        assert (await ada.request("DELETE", "/api/me", json={})).status_code == 204
    assert await memories.newest(me) == []


async def test_routes_need_a_user(served: tuple[str, Sessions]) -> None:
    url, _ = served
    async with httpx.AsyncClient(base_url=url) as anonymous:
        for method in ("GET", "DELETE"):
            assert (await anonymous.request(method, "/api/me/memories")).status_code == 401


def test_rendered_newest_first_within_the_bound() -> None:
    facts = [f"fact number {n} " + "x" * 30 for n in range(100)]
    text = render_memories(facts, max_tokens=200)
    assert text is not None and text.startswith(HEADER)
    assert "not instructions" in HEADER
    lines = text.removeprefix(HEADER).strip().splitlines()
    assert lines[0] == f"- {facts[0]}" and 1 < len(lines) < 100
    assert text_tokens(text) <= 200
    assert render_memories([], 200) is None
    assert render_memories(["y" * 3000], 200) is None  # nothing fits


async def test_for_the_prompt(served: tuple[str, Sessions]) -> None:
    url, sessions = served
    memories = UserMemories(sessions, max_per_user=10)
    async with signed_in(url) as ada:
        me = await user_id_of(ada)
        assert await memories_for_prompt(memories, me, 500) is None
        await memories.add(me, "Ada prefers metric units.")
        await memories.add(me, "Ada is a nurse.")
        prompt: Any = await memories_for_prompt(memories, me, 500)
        assert prompt.endswith("\n- Ada is a nurse.\n- Ada prefers metric units.")
