"""The feedback service, as a dependency: built per request from what the lifespan made (it holds nothing)."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.feedback.service import FeedbackService
from chat_api.state import app_state


async def _feedback(request: Request) -> FeedbackService:
    state = app_state(request)
    return FeedbackService(state["sessions"], state["settings"])


FeedbackServiceDep = Annotated[FeedbackService, Depends(_feedback)]
