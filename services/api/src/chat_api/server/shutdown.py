"""Whether this process is shutting down: set by the server when it stops taking connections.

A stream cancelled while the process shuts down was cancelled by the server's deadline (see `worker`) and
says so to its client; a stream cancelled at any other time was cancelled by someone else, and is not told
a restart is happening.
"""

_shutting_down = False


def begin() -> None:
    global _shutting_down
    _shutting_down = True


def in_progress() -> bool:
    return _shutting_down


def reset() -> None:
    """For tests that run several servers in one process."""
    global _shutting_down
    _shutting_down = False
