"""What the slow tool records: its calls in flight, each call that was cancelled, and the cancel notices that
explain why.

A handler's task is cancelled both when the client sends ``notifications/cancelled`` for its request and when its
session ends (DELETE, idle timeout, shutdown). The request log notes every ``notifications/cancelled`` it sees
before the SDK acts on it, so a record can say which of the two happened: a test of Stop must see the first.
"""

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any, Literal

from mcp.types import RequestId

Reason = Literal["notifications/cancelled", "session ended"]
MAX_RECORDS = 1000


@dataclass(frozen=True)
class Cancellation:
    request_id: RequestId
    session_id: str | None
    tool: str
    caller_sub: str | None
    caller_name: str | None
    reason: Reason
    cancel_reason: str | None  # the client's own `reason`, when it gave one
    started_at: float  # Unix epoch seconds
    cancelled_at: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class CancellationLog:
    def __init__(self) -> None:
        self._records: deque[Cancellation] = deque(maxlen=MAX_RECORDS)
        self._notices: deque[tuple[str | None, RequestId, str | None]] = deque(maxlen=MAX_RECORDS)
        self._running: dict[tuple[str | None, RequestId], dict[str, Any]] = {}

    def started(self, session_id: str | None, request_id: RequestId, caller_sub: str | None, at: float) -> None:
        """A slow call began: a test can wait for it to be on the server before it stops the answer."""
        self._running[(session_id, request_id)] = {
            "session_id": session_id,
            "request_id": request_id,
            "caller_sub": caller_sub,
            "started_at": at,
        }

    def ended(self, session_id: str | None, request_id: RequestId) -> None:
        self._running.pop((session_id, request_id), None)

    def running(self) -> list[dict[str, Any]]:
        return list(self._running.values())

    def notice(self, session_id: str | None, request_id: RequestId, reason: str | None) -> None:
        """A ``notifications/cancelled`` for ``request_id`` arrived on ``session_id``."""
        self._notices.append((session_id, request_id, reason))

    def notified(self, session_id: str | None, request_id: RequestId) -> tuple[bool, str | None]:
        """Whether the client asked to cancel this request, and the reason it gave. The id must match as the SDK
        matches it, type included (a cancel for "3" does not stop request 3)."""
        for session, request, reason in reversed(self._notices):
            if session == session_id and request == request_id and type(request) is type(request_id):
                return True, reason
        return False, None

    def record(self, cancellation: Cancellation) -> None:
        self._records.append(cancellation)

    def records(self) -> list[Cancellation]:
        return list(self._records)

    def clear(self) -> None:
        self._records.clear()
        self._notices.clear()
        self._running.clear()
