"""/api/admin: the operators' routes: the feedback export here, the admin view's in view_routes."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from chat_api.admin import view_routes
from chat_api.admin.deps import AdminServiceDep, ensure_operator
from chat_api.admin.since import Since
from chat_api.auth.deps import CurrentUser
from chat_api.feedback import export
from chat_api.feedback.deps import FeedbackServiceDep
from chat_api.http.deps import SettingsDep
from chat_api.http.errors import error_docs

router = APIRouter(
    prefix="/api/admin",
    tags=["admin"],
    responses=error_docs(
        {
            401: "No valid access token (`unauthorized`).",
            403: "Not an operator: a guest, or an account whose tier is not an admin tier (`forbidden`).",
        }
    ),
)


@router.get(
    "/feedback.csv",
    summary="Every vote on answers as CSV, the newest first (the question and answer only when "
    "ADMIN_SEES_FEEDBACK_CONTENT is true)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_feedback(
    identity: CurrentUser,
    service: FeedbackServiceDep,
    admin: AdminServiceDep,
    settings: SettingsDep,
    since: Since = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> Response:
    ensure_operator(identity, settings)  # here, not a dependency: a bad query is a 422 for anyone signed in
    with_content = settings.ADMIN_SEES_FEEDBACK_CONTENT
    rows = await service.rows(since, limit, with_content)
    await admin.record_export(identity, "feedback.export", f"since={since} content={with_content}")
    name = f"feedback-{datetime.now(UTC):%Y%m%d-%H%M%S}.csv"
    return Response(
        export.as_csv(rows, with_content),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


router.include_router(view_routes.router)
