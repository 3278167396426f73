"""Search (`chat_api/search`) over one user's 10,000 conversations and 100,000 messages on Postgres: how long
one search takes (the service: the statement, its snippets, the rows made into a page), p50 and p99, by how
common the words looked for are. Target: p99 ≤ 50 ms. Against a private Postgres (Debian's, on a Unix socket,
as in `harness/stores.py`); the messages are made up from a Zipf-distributed vocabulary, as words in real
text are, and 1,000 other users' conversations sit beside them. Loopback only; bounded.

    uv run --project bench python bench/search.py
"""

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import uvloop
from chat_api.search.service import SearchService
from chat_api.settings import DatabaseSettings
from chat_api.storage.engine import create_engine, create_sessions
from chat_api.storage.schema import upgrade_schema
from pydantic import SecretStr

from harness.processes import ROOT
from harness.statistics import percentile
from harness.stores import postgres
from harness.words import vocabulary

CONVERSATIONS = 10_000
MESSAGES_PER_CONVERSATION = 10
OTHER_USERS = 1_000
OTHER_CONVERSATIONS_EACH = 2
VOCABULARY = 30_000
SEARCHES_PER_BAND = 200
SEED = 20261208


def texts(rng: random.Random, words: list[str], count: int, length: tuple[int, int]) -> list[str]:
    weights = [1 / rank for rank in range(1, len(words) + 1)]
    result = []
    for _ in range(count):
        result.append(" ".join(rng.choices(words, weights, k=rng.randint(*length))) + ".")
    return result


async def fill(url: str, rng: random.Random, words: list[str]) -> uuid.UUID:
    """The user and the others, their conversations and messages, through COPY (the index fills as they go)."""
    connection = await asyncpg.connect(url)
    try:
        owner = uuid.uuid4()
        users = [owner, *(uuid.uuid4() for _ in range(OTHER_USERS))]
        now = datetime.now(UTC)
        await connection.copy_records_to_table(
            "users", records=[(user, now, 0) for user in users], columns=["id", "created_at", "token_epoch"]
        )
        plan = [(owner, CONVERSATIONS)] + [(user, OTHER_CONVERSATIONS_EACH) for user in users[1:]]
        conversations, messages = [], []
        titles = texts(rng, words, CONVERSATIONS + OTHER_USERS * OTHER_CONVERSATIONS_EACH, (2, 6))
        moment = now - timedelta(days=365)
        for user, count in plan:
            for _ in range(count):
                conversation = uuid.uuid4()
                moment += timedelta(seconds=1)
                conversations.append((conversation, user, titles.pop()[:200], moment, moment))
                parent: uuid.UUID | None = None
                bodies = texts(rng, words, MESSAGES_PER_CONVERSATION, (8, 160))
                for n, body in enumerate(bodies):
                    ident = uuid.uuid4()
                    at = moment + timedelta(microseconds=n)
                    messages.append((ident, conversation, parent, ("user", "assistant")[n % 2], body, "done", at, at))
                    parent = ident
        await connection.copy_records_to_table(
            "conversations", records=conversations, columns=["id", "user_id", "title", "created_at", "updated_at"]
        )
        columns = ["id", "conversation_id", "parent_id", "role", "content", "status", "created_at", "updated_at"]
        for start in range(0, len(messages), 20_000):
            await connection.copy_records_to_table(
                "messages", records=messages[start : start + 20_000], columns=columns
            )
        await connection.execute("ANALYZE")
        return owner
    finally:
        await connection.close()


async def document_frequency(url: str, owner: uuid.UUID, word: str) -> float:
    connection = await asyncpg.connect(url)
    try:
        count = await connection.fetchval(
            "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.user_id = $1 AND m.search_vector @@ to_tsquery('simple', $2)",
            owner,
            word,
        )
        return float(count) / (CONVERSATIONS * MESSAGES_PER_CONVERSATION)
    finally:
        await connection.close()


def spread_ms(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 2),
        "p99": round(percentile(values, 0.99) or 0, 2),
        "max": round(max(values), 2),
    }


async def measure(url: str) -> dict[str, Any]:
    rng = random.Random(SEED)  # noqa: S311 - made-up data, the same every run
    words = vocabulary(rng)
    engine = create_engine(DatabaseSettings(DATABASE_URL=SecretStr(url), DATABASE_POOL_SIZE=10))
    await upgrade_schema(engine)
    began = time.perf_counter()
    owner = await fill(url, rng, words)
    filled_s = time.perf_counter() - began
    service = SearchService(create_sessions(engine))

    # Bands by the words' rank in the vocabulary: how many of the user's messages hold them.
    bands: dict[str, Callable[[], str]] = {
        "rare (ranks 5,000-30,000)": lambda: rng.choice(words[5_000:]),
        "uncommon (ranks 500-5,000)": lambda: rng.choice(words[500:5_000]),
        "common (ranks 50-500)": lambda: rng.choice(words[50:500]),
        "two words (ranks 50-5,000)": lambda: f"{rng.choice(words[50:5_000])} {rng.choice(words[50:5_000])}",
        "a phrase (ranks 20-500)": lambda: f'"{rng.choice(words[20:500])} {rng.choice(words[20:500])}"',
        "very common (ranks 1-50)": lambda: rng.choice(words[:50]),
    }
    for _ in range(50):  # warm: the pool's connections, the statements' plans, the index's pages
        await service.search(owner, rng.choice(words[:5_000]))
    results: dict[str, Any] = {}
    everything: list[float] = []
    for band, draw in bands.items():
        timings, hits = [], []
        for _ in range(SEARCHES_PER_BAND):
            query = draw()
            started = time.perf_counter()
            page = await service.search(owner, query)
            timings.append((time.perf_counter() - started) * 1000)
            hits.append(len(page.items))
        shares = [await document_frequency(url, owner, w) for w in (draw().strip('"').split()[0] for _ in range(20))]
        results[band] = {
            **spread_ms(timings),
            "pages_full": sum(1 for n in hits if n == 20),
            "messages_holding_a_word_median_share": round(statistics.median(shares), 5),
        }
        if not band.startswith("very common"):
            everything += timings
    mixed = spread_ms(everything)
    await engine.dispose()
    return {
        "data": {
            "user_conversations": CONVERSATIONS,
            "user_messages": CONVERSATIONS * MESSAGES_PER_CONVERSATION,
            "other_users": OTHER_USERS,
            "other_conversations": OTHER_USERS * OTHER_CONVERSATIONS_EACH,
            "vocabulary": VOCABULARY,
            "fill_s": round(filled_s, 1),
        },
        "search_ms_by_band": results,
        "search_ms_all_but_very_common": mixed,
        "target_p99_ms": 50,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/search.json")
    args = parser.parse_args()
    work = ROOT / "bench/.work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    with postgres(work) as database_url:
        run = uvloop.run(measure(database_url))
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}",
        "postgres": "Debian's, on a Unix socket",
        **run,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
