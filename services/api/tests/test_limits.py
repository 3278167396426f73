"""Per-user limits and token budgets, across processes (two api servers on one Redis and one database, as two
replicas): exactly N admitted of many at once, budgets that balance to the token, refusals that say which
limit and when it frees, and Redis going away refusing sends rather than letting spending run unlimited."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from chat_api.chat.schemas import ChatRequest
from chat_api.limits.estimate import prompt_tokens
from chat_api.settings import Settings

from .conftest import ApiFactory, chat, signed_in, sse_events
from .redis_server import PrivateRedis, restartable_redis

SECRET = "a-test-signing-secret-of-forty-characters"
QUICK = "ttft_ms=0 token_ms=0 tokens=3"


@contextmanager
def two_replicas(api_server: ApiFactory, shared: dict[str, Any]) -> Iterator[tuple[str, str]]:
    with api_server(AUTH_SECRET=SECRET, **shared) as url_a, api_server(AUTH_SECRET=SECRET, **shared) as url_b:
        yield url_a, url_b


@asynccontextmanager
async def one_user_on_both(url_a: str, url_b: str) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with signed_in(url_a) as on_a, httpx.AsyncClient(base_url=url_b, headers=on_a.headers, timeout=30) as on_b:
        yield on_a, on_b


async def streaming(http: httpx.AsyncClient, body: dict[str, Any]) -> asyncio.Task[None]:
    """A stream read to its end in the background, returned once its first event has come (it is admitted and
    running)."""
    started = asyncio.Event()

    async def read() -> None:
        async with aconnect_sse(http, "POST", "/api/chat/events", json=body) as source:
            async for _ in source.aiter_sse():
                started.set()

    task = asyncio.create_task(read())
    await started.wait()
    return task


async def test_many_sends_at_once_across_replicas_admit_exactly_the_limit(
    api_server: ApiFactory, postgres: Any, redis_url: str
) -> None:
    shared = {"DATABASE_URL": await postgres.new(), "REDIS_URL": redis_url, "GUEST_REQUESTS_PER_MINUTE": 7}
    with two_replicas(api_server, {**shared, "GUEST_CONCURRENT_STREAMS": 100}) as (url_a, url_b):
        async with one_user_on_both(url_a, url_b) as (on_a, on_b):
            replies = await asyncio.gather(
                *((on_a if index % 2 else on_b).post("/api/chat/events", json=chat(QUICK)[0]) for index in range(50))
            )
            usage = (await on_a.get("/api/me/usage")).json()
    statuses = sorted(reply.status_code for reply in replies)
    assert statuses == [200] * 7 + [429] * 43
    refused = next(reply for reply in replies if reply.status_code == 429)
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-policy"].startswith('"requests";q=7;w=60')
    assert refused.headers["ratelimit"].startswith('"requests";r=0;t=')
    admitted = next(reply for reply in replies if reply.status_code == 200)
    assert admitted.headers["ratelimit"].startswith('"requests";r=')
    assert usage["requests_per_minute"]["used"] == 7 and usage["concurrent_streams"]["active"] == 0


async def test_the_budget_balances_to_the_token_and_a_stopped_answer_pays_only_what_it_used(
    api_server: ApiFactory, postgres: Any, redis_url: str
) -> None:
    shared = {"DATABASE_URL": await postgres.new(), "REDIS_URL": redis_url, "GUEST_CONCURRENT_STREAMS": 20}
    shared["GUEST_REQUESTS_PER_MINUTE"] = 100
    with two_replicas(api_server, shared) as (url_a, url_b):
        async with one_user_on_both(url_a, url_b) as (on_a, on_b):
            finished = await asyncio.gather(
                *(
                    (on_a if index % 2 else on_b).post("/api/chat/events", json=chat(f"tokens={5 + index}")[0])
                    for index in range(12)
                )
            )
            spent = 0
            for reply in finished:
                usage_event = dict(sse_events(reply))["usage"]
                spent += usage_event["prompt_tokens"] + usage_event["completion_tokens"]
            # A conversation answer stopped mid-way: no usage from the model, so its prompt's estimate and
            # one token a delta it sent.
            conversation = (await on_a.post("/api/conversations", json={})).json()["id"]
            body, _ = chat("ttft_ms=0 token_ms=20 tokens=300", message="Stop me")
            deltas = 0
            async with aconnect_sse(
                on_a, "POST", f"/api/conversations/{conversation}/messages", json={"content": body["message"]}
            ) as source:
                async for event in source.aiter_sse():
                    if event.event == "start":
                        answer = event.json()["assistant_message_id"]
                    elif event.event == "delta":
                        deltas += 1
                        if deltas == 10:
                            assert (await on_b.post(f"/api/generations/{answer}/stop")).status_code == 202
            request = ChatRequest(message=body["message"])
            spent += prompt_tokens(request, Settings.model_fields["SYSTEM_PROMPT"].default) + deltas
            for _ in range(50):  # the owner settles just after its readers get the end
                usage = (await on_b.get("/api/me/usage")).json()
                if usage["concurrent_streams"]["active"] == 0:
                    break
                await asyncio.sleep(0.05)
    assert usage["tokens_per_day"]["used"] == spent
    assert usage["tokens_per_day"]["remaining"] == 50_000 - spent


async def test_a_budget_refuses_what_it_cannot_cover_then_frees_what_was_not_used(
    api_server: ApiFactory, postgres: Any, redis_url: str
) -> None:
    shared = {"DATABASE_URL": await postgres.new(), "REDIS_URL": redis_url, "GUEST_TOKENS_PER_DAY": 1200}
    with two_replicas(api_server, shared) as (url_a, url_b):
        async with one_user_on_both(url_a, url_b) as (on_a, on_b):
            # Its reservation (prompt + 800) is taken while it streams.
            slow = await streaming(on_a, chat("ttft_ms=0 token_ms=50 tokens=60", options={"max_tokens": 800})[0])
            refused = await on_b.post("/api/chat/events", json=chat(QUICK, options={"max_tokens": 800})[0])
            await slow
            later = await on_b.post("/api/chat/events", json=chat(QUICK, options={"max_tokens": 800})[0])
    assert refused.status_code == 429, refused.headers.get("ratelimit")
    assert refused.json()["error"]["code"] == "quota_exceeded"
    assert "midnight UTC" in refused.json()["error"]["message"]
    assert 1 <= int(refused.headers["retry-after"]) <= 86_400
    assert '"tokens";q=1200;w=86400' in refused.headers["ratelimit-policy"]
    assert later.status_code == 200  # the first answer used far less than it reserved: that came back


async def test_concurrent_streams_are_limited_and_users_do_not_share_limits(
    api_server: ApiFactory, postgres: Any, redis_url: str
) -> None:
    shared = {"DATABASE_URL": await postgres.new(), "REDIS_URL": redis_url, "GUEST_CONCURRENT_STREAMS": 1}
    with two_replicas(api_server, shared) as (url_a, url_b):
        async with one_user_on_both(url_a, url_b) as (on_a, on_b), signed_in(url_b) as stranger:
            slow = await streaming(on_a, chat("ttft_ms=0 token_ms=50 tokens=60")[0])
            second = await on_b.post("/api/chat/events", json=chat(QUICK)[0])
            others = await stranger.post("/api/chat/events", json=chat(QUICK)[0])
            await slow
            after = await on_b.post("/api/chat/events", json=chat(QUICK)[0])
            account = await stranger.post(
                "/api/auth/register", json={"email": "limits@example.com", "password": "correct horse battery"}
            )
            stranger.headers["Authorization"] = f"Bearer {account.json()['access_token']}"
            account_usage = (await stranger.get("/api/me/usage")).json()
            guest_usage = (await on_a.get("/api/me/usage")).json()
    assert second.status_code == 429 and second.json()["error"]["code"] == "rate_limited"
    assert "at once" in second.json()["error"]["message"]
    assert others.status_code == 200 and after.status_code == 200
    assert guest_usage["concurrent_streams"]["limit"] == 1
    assert account_usage["concurrent_streams"]["limit"] == 4  # an account's own, larger limits
    assert account_usage["tokens_per_day"]["limit"] == 500_000


async def test_without_redis_sends_are_refused_not_unlimited_and_pass_again_when_it_is_back(
    api_server: ApiFactory, postgres: Any
) -> None:
    with restartable_redis() as redis:
        shared = {"DATABASE_URL": await postgres.new(), "REDIS_URL": redis.url}
        with api_server(AUTH_SECRET=SECRET, **shared) as url:
            async with signed_in(url) as http:
                before = await http.post("/api/chat/events", json=chat(QUICK)[0])
                await asyncio.to_thread(PrivateRedis.stop, redis)
                during = await http.post("/api/chat/events", json=chat(QUICK)[0])
                await asyncio.to_thread(PrivateRedis.start, redis)
                after = await http.post("/api/chat/events", json=chat(QUICK)[0])
    assert before.status_code == 200
    assert during.status_code == 503 and during.json()["error"]["code"] == "limits_unavailable"
    assert during.headers["retry-after"] == "2"
    assert after.status_code == 200  # no restart needed
