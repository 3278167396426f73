"""/api/admin: the operators' routes (for now, the feedback export), until the organisation's admin view."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BeforeValidator
from starlette.responses import Response

from chat_api.admin.deps import ensure_operator
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


def _written_out(value: object) -> object:
    """A date and time as OpenAPI's `date-time` says (2026-12-06T10:00:00Z), not a number of seconds, which
    pydantic would otherwise take."""
    if isinstance(value, str) and not (value[:4].isdigit() and value[4:5] == "-"):
        raise ValueError("a date and time with its zone, such as 2026-12-06T10:00:00Z")
    return value


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
    settings: SettingsDep,
    since: Annotated[
        AwareDatetime | None,
        BeforeValidator(_written_out),
        Query(description="Only votes given or changed since (a date and time with its zone)."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> Response:
    ensure_operator(identity, settings)  # here, not a dependency: a bad query is a 422 for anyone signed in
    with_content = settings.ADMIN_SEES_FEEDBACK_CONTENT
    rows = await service.rows(since, limit, with_content)
    name = f"feedback-{datetime.now(UTC):%Y%m%d-%H%M%S}.csv"
    return Response(
        export.as_csv(rows, with_content),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
