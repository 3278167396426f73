"""How a Stop, or the user's decision on a tool that asks first, reaches the process that writes an answer:
`LocalStopSignal` within one process, `RedisStopSignal` (`redis_stop`) across processes and replicas."""

from collections.abc import Callable
from typing import Protocol

# The owner's side of a decision: True when the answer was waiting for it (the call is pending, undecided).
Decide = Callable[[str, str], bool]


class StopSignal(Protocol):
    def on_stop(self, generation_id: str, stop: Callable[[], None], decide: Decide | None = None) -> None:
        """The owner's side: `stop` runs when a Stop for this answer arrives, `decide(call_id, decision)` when a
        decision does (until `forget_stop`)."""
        ...

    def forget_stop(self, generation_id: str) -> None: ...

    async def request_stop(self, generation_id: str) -> bool:
        """True once the answer's owner has the Stop; False when no owner could be reached."""
        ...

    async def request_decision(self, generation_id: str, call_id: str, decision: str) -> bool | None:
        """True once the owner has taken the decision; False when the owner had no such call waiting; None when
        no owner could be reached."""
        ...

    async def aclose(self) -> None: ...


class LocalStopSignal:
    def __init__(self) -> None:
        self._stops: dict[str, Callable[[], None]] = {}
        self._decisions: dict[str, Decide] = {}

    def on_stop(self, generation_id: str, stop: Callable[[], None], decide: Decide | None = None) -> None:
        self._stops[generation_id] = stop
        if decide is not None:
            self._decisions[generation_id] = decide

    def forget_stop(self, generation_id: str) -> None:
        self._stops.pop(generation_id, None)
        self._decisions.pop(generation_id, None)

    async def request_stop(self, generation_id: str) -> bool:
        stop = self._stops.get(generation_id)
        if stop is None:
            return False
        stop()
        return True

    async def request_decision(self, generation_id: str, call_id: str, decision: str) -> bool | None:
        decide = self._decisions.get(generation_id)
        if decide is None:
            return False if generation_id in self._stops else None
        return decide(call_id, decision)

    async def aclose(self) -> None:
        self._stops.clear()
        self._decisions.clear()
