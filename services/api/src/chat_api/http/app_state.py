"""Typed keys into the lifespan's state: each area's `deps` reads its own service under its own key, so no
module has to know every service.

Starlette copies the state the lifespan yields into each request's scope; the wiring (`chat_api.services`)
puts each service there under its area's key.
"""

from typing import Any, Generic, TypeVar, cast

from starlette.requests import Request

T = TypeVar("T")


class StateKey(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name

    def put(self, state: dict[str, Any], value: T) -> None:
        state[self.name] = value

    def of(self, request: Request) -> T:
        return cast(T, request.scope["state"][self.name])
