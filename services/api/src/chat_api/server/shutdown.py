"""Whether this server is shutting down, and since when: set by the server when it stops taking connections.

A stream cancelled while the server shuts down was cancelled by the server's deadline (see `worker`) and
says so to its client; a stream cancelled at any other time was cancelled by someone else, and is not told
a restart is happening. Answers still running get what is left of the grace period to end; their readers
here are let go at once, to follow them again on another replica.

Kept per event loop: one per worker process in production, one per test server in the tests (several run
in one process, each on its own loop and thread).
"""

import asyncio
import time
import weakref
from dataclasses import dataclass, field

MARGIN_S = 3  # time left, after the deadline, for streams to say goodbye and the worker to exit


@dataclass
class _State:
    began_at: float | None = None
    began: asyncio.Event = field(default_factory=asyncio.Event)


_states: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _State]" = weakref.WeakKeyDictionary()


def _state() -> _State:
    loop = asyncio.get_running_loop()
    state = _states.get(loop)
    if state is None:
        state = _states[loop] = _State()
    return state


def begin() -> None:
    state = _state()
    state.began_at = time.monotonic()
    state.began.set()


def in_progress() -> bool:
    return _state().began_at is not None


async def begun() -> None:
    """Returns once this server has begun to shut down."""
    await _state().began.wait()


def time_left(graceful_s: float) -> float:
    """Of the grace period `graceful_s`, what is left before the process must be gone (less the margin)."""
    began_at = _state().began_at
    elapsed = 0.0 if began_at is None else time.monotonic() - began_at
    return max(0.0, graceful_s - MARGIN_S - elapsed)
