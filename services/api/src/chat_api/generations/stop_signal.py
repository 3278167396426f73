"""How a Stop reaches the process that writes an answer: `LocalStopSignal` within one process,
`RedisStopSignal` (`redis_stop`) across processes and replicas."""

from collections.abc import Callable
from typing import Protocol


class StopSignal(Protocol):
    def on_stop(self, generation_id: str, stop: Callable[[], None]) -> None:
        """The owner's side: `stop` runs when a Stop for this answer arrives (until `forget_stop`)."""
        ...

    def forget_stop(self, generation_id: str) -> None: ...

    async def request_stop(self, generation_id: str) -> bool:
        """True once the answer's owner has the Stop; False when no owner could be reached."""
        ...

    async def aclose(self) -> None: ...


class LocalStopSignal:
    def __init__(self) -> None:
        self._stops: dict[str, Callable[[], None]] = {}

    def on_stop(self, generation_id: str, stop: Callable[[], None]) -> None:
        self._stops[generation_id] = stop

    def forget_stop(self, generation_id: str) -> None:
        self._stops.pop(generation_id, None)

    async def request_stop(self, generation_id: str) -> bool:
        stop = self._stops.get(generation_id)
        if stop is None:
            return False
        stop()
        return True

    async def aclose(self) -> None:
        self._stops.clear()
