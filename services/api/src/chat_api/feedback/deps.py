"""The feedback service, as a dependency."""

from typing import Annotated

from fastapi import Depends, Request

from chat_api.feedback.service import FeedbackService
from chat_api.http.app_state import StateKey

FEEDBACK: StateKey[FeedbackService] = StateKey("feedback")


async def _feedback(request: Request) -> FeedbackService:
    return FEEDBACK.of(request)


FeedbackServiceDep = Annotated[FeedbackService, Depends(_feedback)]
