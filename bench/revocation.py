"""The revocation check every authenticated request makes (`chat_api/auth/revocation.py`): what it costs with
the process's cache warm (the usual case), what it costs when the process reads the database instead (while it
is not subscribed to Redis: the fallback), and how long a revocation takes to reach another process's cache
through Redis pub/sub. Against a private Postgres and Redis (Debian's, on Unix sockets as in `harness/stores.py`).
Loopback only; bounded.

    uv run --project bench python bench/revocation.py
"""

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvloop
from chat_api.auth.revocation import Revocations
from chat_api.auth.service import AuthService
from chat_api.auth.tokens import Identity, TokenSigner
from chat_api.settings import Settings
from chat_api.storage.engine import create_engine, create_sessions
from chat_api.storage.schema import upgrade_schema
from pydantic import SecretStr
from redis.asyncio import Redis

from harness.processes import ROOT
from harness.statistics import percentile
from harness.stores import postgres, redis

USERS = 1_000
WARM_CHECKS = 200_000
COLD_CHECKS = 2_000
PROPAGATIONS = 200


def spread_us(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 2),
        "p99": round(percentile(values, 0.99) or 0, 2),
        "max": round(max(values), 2),
    }


async def subscribed(revocations: Revocations) -> None:
    await revocations.start()
    while not revocations.current:
        await asyncio.sleep(0.01)


async def measure(database_url: str, redis_url: str) -> dict[str, object]:
    # The upstream is never called: only the auth service is built.
    upstream: dict[str, Any] = {"AZURE_OPENAI_ENDPOINT": "http://127.0.0.1:9", "AZURE_OPENAI_DEPLOYMENT": "chat"}
    settings = Settings(DATABASE_URL=SecretStr(database_url), **upstream)
    engine = create_engine(settings)
    await upgrade_schema(engine)
    sessions = create_sessions(engine)
    here_redis, there_redis = Redis.from_url(redis_url), Redis.from_url(redis_url)
    here = Revocations(sessions, here_redis, single_process=False)
    there = Revocations(sessions, there_redis, single_process=False)
    await subscribed(here)
    await subscribed(there)
    signer = TokenSigner(secrets.token_urlsafe(32), 600)
    auth = AuthService(sessions, signer, here, settings)
    signed_in = [await auth.start_guest() for _ in range(USERS)]
    identities: list[Identity] = [session.identity for session in signed_in]

    verify: list[float] = []  # for scale: the signature check every request made already
    for start in range(0, 20_000, 1_000):
        began = time.perf_counter()
        for n in range(start, start + 1_000):
            signer.verify(signed_in[n % USERS].access_token)
        verify.append((time.perf_counter() - began) / 1_000 * 1e6)

    for identity in identities:  # the cache warm: every user and session read once
        await here.check(identity)
    warm: list[float] = []
    batch = 1_000
    for start in range(0, WARM_CHECKS, batch):
        began = time.perf_counter()
        for n in range(start, start + batch):
            await here.check(identities[n % USERS])
        warm.append((time.perf_counter() - began) / batch * 1e6)

    here._subscribed = False  # as while Redis is out of reach: every check reads the database
    cold: list[float] = []
    for n in range(COLD_CHECKS):
        began = time.perf_counter()
        await here.check(identities[n % USERS])
        cold.append((time.perf_counter() - began) * 1e6)
    here._subscribed = True

    propagation: list[float] = []
    for identity in identities[:PROPAGATIONS]:
        await there.check(identity)
        began = time.perf_counter()
        await here.session_ended(identity.session_id)
        while there._sessions.get(identity.session_id, (True, 0.0))[0]:
            await asyncio.sleep(0)
        propagation.append((time.perf_counter() - began) * 1e6)

    await here.aclose()
    await there.aclose()
    await here_redis.aclose()
    await there_redis.aclose()
    await engine.dispose()
    return {
        "users_cached": USERS,
        "warm_check_us": {"mean_per_batch_of_1000": spread_us(warm), "checks": WARM_CHECKS},
        "jwt_verify_us": {"mean_per_batch_of_1000": spread_us(verify), "checks": 20_000},
        "database_check_us": {**spread_us(cold), "checks": COLD_CHECKS},
        "publish_to_other_cache_us": {**spread_us(propagation), "revocations": PROPAGATIONS},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/revocation.json")
    args = parser.parse_args()
    work = ROOT / "bench/.work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    with postgres(work) as database_url, redis(work) as redis_url:
        run = uvloop.run(measure(database_url, redis_url))
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}",
        **run,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
