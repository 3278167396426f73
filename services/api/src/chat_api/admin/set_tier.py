"""`python -m chat_api.admin.set_tier <email> <tier>`: give a password account a tier (admin/account_tiers.py),
with the api's own settings (the environment: DATABASE_URL, REDIS_URL, TIERS or TIERS_FILE), e.g. in a running
container: `docker compose exec api python -m chat_api.admin.set_tier ops@example.com admin`.

Exit status: 0 done (or nothing to change), 2 refused (an unknown tier or account, a malformed address, wrong
arguments), 1 the database out of reach or at an older schema."""

import argparse
import asyncio
import sys
from collections.abc import Sequence

from chat_api.admin.account_tiers import Refused, TierGiven, give_tier
from chat_api.auth.revocation import Revocations
from chat_api.redis_connection import open_redis
from chat_api.settings import Settings, load
from chat_api.storage.engine import create_engine, create_sessions
from chat_api.storage.outage import is_unreachable
from chat_api.storage.schema import SchemaOutOfDate, prepare_schema

REFUSED = 2
FAILED = 1


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    """Runs its own event loop: call it from a thread where one is running already."""
    parser = argparse.ArgumentParser(
        prog="python -m chat_api.admin.set_tier",
        description="Give a password account a tier (one of TIERS): an admin tier makes it an operator. The user's "
        "sessions go on; the new tier applies from their next request.",
    )
    parser.add_argument("email", help="the account's email (a look-alike finds it, as at sign-in)")
    parser.add_argument("tier", help="a configured tier's name")
    arguments = parser.parse_args(argv)  # wrong arguments: usage on stderr, exit status 2
    settings = settings or load(Settings)
    try:
        given = asyncio.run(_set_tier(settings, arguments.email, arguments.tier))
    except Refused as refusal:
        print(f"set_tier: refused: {refusal}", file=sys.stderr)
        return REFUSED
    except SchemaOutOfDate as error:
        print(f"set_tier: {error}", file=sys.stderr)
        return FAILED
    except Exception as error:
        if not is_unreachable(error):
            raise
        print("set_tier: the database is out of reach (DATABASE_URL); nothing was changed", file=sys.stderr)
        return FAILED
    print(_outcome(given))
    return 0


async def _set_tier(settings: Settings, email: str, tier: str) -> TierGiven:
    engine = create_engine(settings)
    try:
        await prepare_schema(engine)
        sessions = create_sessions(engine)
        async with open_redis(settings) as redis:
            # Only to tell the api's processes (through Redis) that the user's tokens changed: no listener.
            revocations = Revocations(sessions, redis, single_process=False)
            return await give_tier(sessions, revocations, settings.tiers, email, tier)
    finally:
        await engine.dispose()


def _outcome(given: TierGiven) -> str:
    role = "an operator" if given.admin else "not an operator"
    if not given.changed:
        return f"{given.email} is in the tier {given.tier} already ({role}): nothing changed"
    return (
        f"{given.email}: tier {given.before} -> {given.tier} ({role}), from the user's next request "
        "(their sessions go on)"
    )


if __name__ == "__main__":
    sys.exit(main())
