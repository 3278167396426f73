"""The generations area's services, as dependencies."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.generations.service import Generations
from chat_api.generations.turns import TurnPlanner
from chat_api.state import app_state


async def _generations(request: Request) -> Generations:
    return app_state(request)["generations"]


async def _planner(request: Request) -> TurnPlanner:
    return app_state(request)["planner"]


GenerationsDep = Annotated[Generations, Depends(_generations)]
TurnPlannerDep = Annotated[TurnPlanner, Depends(_planner)]
