"""/api/conversations/{id}/messages/{id}/feedback: the user's vote on one of their answers."""

import uuid

from fastapi import APIRouter, Depends
from starlette.responses import Response

from chat_api.auth.deps import CurrentUser, current_identity
from chat_api.conversations.schemas import FeedbackView
from chat_api.feedback.deps import FeedbackServiceDep
from chat_api.feedback.schemas import Vote
from chat_api.http.deps import require_json
from chat_api.http.errors import error_docs

ERRORS = error_docs(
    {
        401: "No valid access token (`unauthorized`).",
        404: "No such answer in this conversation, a question rather than an answer, or not yours (`not_found`): "
        "never told apart.",
        422: "A field is missing, malformed or over a limit, or the reason is not one for this rating "
        "(`invalid_request`).",
    }
)
router = APIRouter(
    prefix="/api/conversations", tags=["feedback"], dependencies=[Depends(current_identity)], responses=ERRORS
)
ANSWER = "/{conversation_id:uuid}/messages/{message_id:uuid}/feedback"


@router.put(ANSWER, summary="Vote on an answer, or change your vote", dependencies=[Depends(require_json)])
async def vote(
    conversation_id: uuid.UUID, message_id: uuid.UUID, body: Vote, user: CurrentUser, service: FeedbackServiceDep
) -> FeedbackView:
    return await service.vote(user, conversation_id, message_id, body)


@router.delete(ANSWER, summary="Withdraw your vote on an answer", status_code=204)
async def withdraw(
    conversation_id: uuid.UUID, message_id: uuid.UUID, user: CurrentUser, service: FeedbackServiceDep
) -> Response:
    await service.withdraw(user, conversation_id, message_id)
    return Response(status_code=204)
