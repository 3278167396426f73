"""Per-user limits through nginx, on every api replica at once: one account's 50 simultaneous sends against its
limit of 4 answers at a time admit exactly 4 (the check-and-take is one script in Redis, whichever replica
runs it), the refusals say so with true headers, and the day's budget balances to the token afterwards."""

import asyncio
import json
import uuid

import httpx

from .report import record
from .streams import client
from .support import needs_compose, post_json

pytestmark = needs_compose

ACCOUNT_STREAMS = 4  # the product's default for an account (USER_CONCURRENT_STREAMS)
SENDS = 50


def new_account() -> dict[str, str]:
    reply = post_json(
        "/api/auth/register",
        {"email": f"limits-{uuid.uuid4().hex[:10]}@example.com", "password": "correct horse battery staple"},
        signed_in=False,
    )
    assert reply.status == 201, reply.body[:300]
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


async def send(http: httpx.AsyncClient, headers: dict[str, str]) -> tuple[int, dict[str, str], int]:
    """Status, headers, and the tokens the model said it used (0 when refused)."""
    body = {"message": f"Limit test\n@emulator ttft_ms=0 token_ms=100 tokens=20 tag={uuid.uuid4().hex}"}
    async with http.stream("POST", "/api/chat/events", json=body, headers=headers) as response:
        text = (await response.aread()).decode()
    used = 0
    for frame in text.split("\n\n"):
        if frame.startswith("event: usage"):
            usage = json.loads(frame.split("data: ", 1)[1])
            used = usage["prompt_tokens"] + usage["completion_tokens"]
    return response.status_code, dict(response.headers), used


async def burst() -> tuple[list[tuple[int, dict[str, str], int]], dict[str, object]]:
    account = new_account()
    async with client(SENDS + 5) as http:
        replies = await asyncio.gather(*(send(http, account) for _ in range(SENDS)))
        usage: dict[str, object] = (await http.get("/api/me/usage", headers=account)).json()
    return replies, usage


def test_one_accounts_simultaneous_sends_admit_exactly_its_limit_on_every_replica() -> None:
    replies, usage = asyncio.run(burst())

    admitted = [reply for reply in replies if reply[0] == 200]
    refused = [reply for reply in replies if reply[0] == 429]
    assert len(admitted) == ACCOUNT_STREAMS and len(refused) == SENDS - ACCOUNT_STREAMS, [r[0] for r in replies]
    for _, headers, _ in refused:
        assert headers["retry-after"] and headers["ratelimit-policy"].startswith('"requests";q=')
    tokens = usage["tokens_per_day"]
    assert isinstance(tokens, dict)
    spent = sum(used for _, _, used in admitted)
    assert tokens["used"] == spent > 0  # every reservation settled to what the model reported
    record(
        "per_user_limits",
        {
            "simultaneous_sends": SENDS,
            "limit_answers_at_once": ACCOUNT_STREAMS,
            "admitted": len(admitted),
            "refused_429": len(refused),
            "tokens_reported_by_the_model": spent,
            "tokens_charged": tokens["used"],
        },
    )
