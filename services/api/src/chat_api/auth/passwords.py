"""Passwords, hashed with Argon2 (pwdlib). Hashing is slow on purpose, so it runs in a thread, away from the
event loop that relays every stream. A new password must not be a commonly used one, nor the email."""

from typing import Final

import anyio
from pwdlib import PasswordHash

from chat_api.http.errors import ApiError

_hasher = PasswordHash.recommended()
# An unknown email is checked against this, so it costs the same time as a wrong password. Written out, not
# hashed at import: that took 0.2 s of CPU at every start (64 MiB of Argon2). Its parameters are the hasher's
# (tests/test_auth.py checks they stay so).
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$Dqb6TvT/fI3ydMru3KUpRg$4VViRYS4usRWn8lEb8o/szhLBctXYyYicrl2fn5yJQg"

# zxcvbn ships the 30,000 most common passwords of a public leak corpus, ranked; the first 10,000 are refused,
# also capitalised, reversed or in l33t ("P@ssw0rd"), as zxcvbn matches them.
COMMON_RANK: Final = 10_000
_LONGEST_MATCHED: Final = 72  # zxcvbn's own limit; the list has nothing near that long


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hasher.hash, password)


async def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        await anyio.to_thread.run_sync(_hasher.verify, password, _DUMMY_HASH)
        return False
    return await anyio.to_thread.run_sync(_hasher.verify, password, password_hash)


def is_common(password: str) -> bool:
    """The whole password is one of the COMMON_RANK most used."""
    if len(password) > _LONGEST_MATCHED:
        return False
    from zxcvbn import zxcvbn  # here: its lists are large, needed only when a password is set

    sequence = zxcvbn(password, max_length=_LONGEST_MATCHED)["sequence"]
    if len(sequence) != 1:
        return False
    match = sequence[0]
    return (
        match["pattern"] == "dictionary"
        and match.get("dictionary_name") == "passwords"
        and match.get("rank", COMMON_RANK + 1) <= COMMON_RANK
        and match["token"] == password
    )


async def check_new_password(password: str, email: str) -> None:
    """422 for a password anyone would try first: a common one, or the email (or its part before the @)."""
    folded = password.casefold()
    if folded in {email.casefold(), email.rpartition("@")[0].casefold()}:
        raise ApiError(422, "invalid_request", "password: must not be your email address")
    if await anyio.to_thread.run_sync(is_common, password):
        raise ApiError(
            422,
            "invalid_request",
            "password: is one of the most commonly used passwords, the first ones an attacker tries; "
            "choose another (a few unrelated words make a good one)",
        )
