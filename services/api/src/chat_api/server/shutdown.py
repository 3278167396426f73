"""Whether this process is shutting down, and since when: set by the server when it stops taking connections.

A stream cancelled while the process shuts down was cancelled by the server's deadline (see `worker`) and
says so to its client; a stream cancelled at any other time was cancelled by someone else, and is not told
a restart is happening. Answers still running get what is left of the grace period to end.
"""

import time

MARGIN_S = 3  # time left, after the deadline, for streams to say goodbye and the worker to exit

_began_at: float | None = None


def begin() -> None:
    global _began_at
    _began_at = time.monotonic()


def in_progress() -> bool:
    return _began_at is not None


def time_left(graceful_s: float) -> float:
    """Of the grace period `graceful_s`, what is left before the process must be gone (less the margin)."""
    elapsed = 0.0 if _began_at is None else time.monotonic() - _began_at
    return max(0.0, graceful_s - MARGIN_S - elapsed)


def reset() -> None:
    """For tests that run several servers in one process."""
    global _began_at
    _began_at = None
