"""Search over a user's own conversations, on Postgres (full-text search) and SQLite (FTS5): ranking,
highlighted snippets as plain parts, pages, isolation between users, deleted conversations gone, and hostile
queries answered without a 500."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from chat_api.settings import DatabaseSettings
from chat_api.storage.engine import create_engine
from chat_api.storage.search_index import SEARCH_TABLES

from .conftest import ApiFactory, signed_in


@pytest.fixture(scope="module")
async def url(api_server: ApiFactory, shared_store: dict[str, str]) -> AsyncIterator[str]:
    with api_server(**shared_store) as served:
        yield served


async def keep(http: httpx.AsyncClient, title: str, *texts: str) -> dict[str, Any]:
    """A conversation with these messages (user and assistant in turn), through the import route."""
    messages = [{"role": ("user", "assistant")[n % 2], "content": text} for n, text in enumerate(texts)]
    response = await http.post(
        "/api/conversations/import", json={"conversations": [{"title": title, "messages": messages}]}
    )
    assert response.status_code == 201, response.text
    conversation: dict[str, Any] = response.json()["conversations"][0]
    detail = await http.get(f"/api/conversations/{conversation['id']}")
    conversation["messages"] = detail.json()["messages"]["items"]
    return conversation


async def search(http: httpx.AsyncClient, q: str, **params: Any) -> dict[str, Any]:
    response = await http.get("/api/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def highlighted(hit: dict[str, Any]) -> list[str]:
    return [part["text"].lower() for part in hit["snippet"] if part["match"]]


async def test_messages_and_titles_are_found_ranked_with_plain_snippets(ada: httpx.AsyncClient) -> None:
    sourdough = await keep(
        ada,
        "Baking bread",
        "How long should sourdough proof in a cold fridge?",
        "Sourdough proofs 12 to 16 hours in the fridge; sourdough likes the cold, slow proof.",
    )
    await keep(ada, "Sourdough starter care", "Feed it daily.", "Yes, with equal flour and water.")
    await keep(ada, "Cars", "Which tyres for winter?", "Winter tyres below 7 °C.")

    page = await search(ada, "sourdough")
    hits = page["items"]
    assert {hit["title"] for hit in hits} == {"Baking bread", "Sourdough starter care"}
    title_hit = next(hit for hit in hits if hit["message_id"] is None)
    assert title_hit["title"] == "Sourdough starter care" and title_hit["role"] is None
    assert highlighted(title_hit) == ["sourdough"]
    answer = next(hit for hit in hits if hit["message_id"] == sourdough["messages"][1]["id"])
    assert answer["role"] == "assistant" and answer["conversation_id"] == sourdough["id"]
    assert highlighted(answer) == ["sourdough", "sourdough"]
    assert "".join(part["text"] for part in answer["snippet"]).startswith("Sourdough proofs")
    ranks = [hit["rank"] for hit in hits]
    assert ranks == sorted(ranks, reverse=True)
    # Two mentions in one message outrank one in a longer message of the same conversation.
    assert hits.index(answer) < next(
        i for i, hit in enumerate(hits) if hit["message_id"] == sourdough["messages"][0]["id"]
    )


async def test_web_search_syntax(ada: httpx.AsyncClient) -> None:
    await keep(ada, "Syntax", "the quick brown fox", "a brown dog, not quick at all")
    assert len((await search(ada, '"quick brown"'))["items"]) == 1  # a phrase
    assert len((await search(ada, "quick brown"))["items"]) == 2  # every word, anywhere
    assert len((await search(ada, "quick -fox"))["items"]) == 1  # one left out
    assert len((await search(ada, "fox or dog"))["items"]) == 2  # either


async def test_pages_follow_one_another_without_gaps_or_repeats(ada: httpx.AsyncClient) -> None:
    await keep(ada, "Many", *[f"kestrel number {n} " + "word " * n for n in range(25)])
    seen: list[str] = []
    cursor = None
    while True:
        page = await search(ada, "kestrel", limit=7, **({"cursor": cursor} if cursor else {}))
        seen += [hit["message_id"] for hit in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 25 and len(set(seen)) == 25


async def test_one_user_never_finds_anothers_words(ada: httpx.AsyncClient, bo: httpx.AsyncClient) -> None:
    await keep(ada, "Ada's secret", "my locker code is marmalade")
    assert (await search(bo, "marmalade"))["items"] == []
    assert (await search(bo, "secret"))["items"] == []
    assert len((await search(ada, "marmalade"))["items"]) == 1


async def test_a_deleted_conversation_is_not_found(ada: httpx.AsyncClient) -> None:
    gone = await keep(ada, "Platypus notes", "the platypus lays eggs")
    assert len((await search(ada, "platypus"))["items"]) == 2
    assert (await ada.delete(f"/api/conversations/{gone['id']}")).status_code == 204
    assert (await search(ada, "platypus"))["items"] == []


async def test_a_renamed_conversation_is_found_by_its_new_title(ada: httpx.AsyncClient) -> None:
    conversation = await keep(ada, "Untitled", "hello")
    assert (await ada.patch(f"/api/conversations/{conversation['id']}", json={"title": "Gazpacho recipe"})).is_success
    hits = (await search(ada, "gazpacho"))["items"]
    assert [hit["conversation_id"] for hit in hits] == [conversation["id"]]


@pytest.mark.parametrize(
    "q",
    [
        "",
        "   ",
        '"',
        '""',
        '"unclosed phrase',
        "-",
        "- - -",
        "or",
        "or or",
        "a or",
        "NOT AND OR NEAR",
        "* ^ : ( ) { } [ ] + ~",
        "col:umn*",
        "'; DROP TABLE messages; --",
        "!!! ???",
        "\x00nul",
        "\x02marker\x03",
        "ünïcödé 漢字 🙂",
        "x" * 500,
    ],
)
async def test_hostile_queries_never_fail(ada: httpx.AsyncClient, q: str) -> None:
    await search(ada, q)


@pytest.mark.parametrize("rank", ["-67030e86", "1e999", "-1e-300", "3.4028236e38"])
async def test_a_cursor_of_any_rank_the_pattern_admits_is_a_page(ada: httpx.AsyncClient, rank: str) -> None:
    """Found by the stack's fuzz: a rank beyond a Postgres `real` was a 500 (the database refused the value)."""
    page = await search(ada, "kestrel", cursor=f"{rank}_32_{'0' * 32}")
    assert page["next_cursor"] is None or isinstance(page["next_cursor"], str)


async def test_too_long_a_query_is_refused_in_the_envelope(ada: httpx.AsyncClient) -> None:
    response = await ada.get("/api/search", params={"q": "x" * 10_000})
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "invalid_request", "message": "q: at most 500 characters"}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "a", "limit": 0},
        {"q": "a", "limit": 51},
        {"q": "a", "cursor": "x"},
        {"q": "a", "cursor": "1.2.3_1_" + "0" * 32},
    ],
)
async def test_bad_parameters_are_refused_in_the_envelope(ada: httpx.AsyncClient, params: dict[str, Any]) -> None:
    response = await ada.get("/api/search", params=params)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


async def test_search_needs_a_user(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as anonymous:
        response = await anonymous.get("/api/search", params={"q": "a"})
    assert response.status_code == 401


async def test_the_index_follows_deletions_of_an_account(url: str, shared_store: dict[str, str]) -> None:
    """Deleting an account removes its conversations and messages by cascade: their words leave the index too
    (SQLite: FTS5's own integrity check; its triggers fire on cascaded deletes)."""
    async with signed_in(url) as gone:
        await keep(gone, "Quokka facts", "quokkas smile", "they do")
        assert (await gone.request("DELETE", "/api/me", json={})).status_code == 204
    engine = create_engine(DatabaseSettings(**{k: v for k, v in shared_store.items() if k != "REDIS_URL"}))  # type: ignore[arg-type]
    try:
        async with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                for table in SEARCH_TABLES:
                    await connection.execute(text(f"INSERT INTO {table}({table}) VALUES ('integrity-check')"))  # noqa: S608
                found = "SELECT count(*) FROM messages_search WHERE messages_search MATCH 'quokkas'"
            else:
                found = "SELECT count(*) FROM messages WHERE search_vector @@ to_tsquery('simple', 'quokkas')"
            assert await connection.scalar(text(found)) == 0
    finally:
        await engine.dispose()
