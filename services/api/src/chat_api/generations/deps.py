"""The generations area's services, as dependencies."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.generations.service import Generations
from chat_api.generations.turns import TurnPlanner
from chat_api.http.app_state import StateKey

GENERATIONS: StateKey[Generations] = StateKey("generations")
PLANNER: StateKey[TurnPlanner] = StateKey("planner")


async def _generations(request: Request) -> Generations:
    return GENERATIONS.of(request)


async def _planner(request: Request) -> TurnPlanner:
    return PLANNER.of(request)


GenerationsDep = Annotated[Generations, Depends(_generations)]
TurnPlannerDep = Annotated[TurnPlanner, Depends(_planner)]
