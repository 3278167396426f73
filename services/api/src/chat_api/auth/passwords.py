"""Passwords, hashed with Argon2 (pwdlib). Hashing is slow on purpose, so it runs in a thread, away from the
event loop that relays every stream."""

import anyio
from pwdlib import PasswordHash

_hasher = PasswordHash.recommended()
# An unknown email is checked against this, so it costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("not anybody's password")


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hasher.hash, password)


async def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        await anyio.to_thread.run_sync(_hasher.verify, password, _DUMMY_HASH)
        return False
    return await anyio.to_thread.run_sync(_hasher.verify, password, password_hash)
