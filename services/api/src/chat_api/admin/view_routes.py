"""/api/admin: the admin view's routes (usage, users, disable and enable, the audit log, the votes). Every one is for
operators only: anyone else gets 403 `forbidden` before the query is read, so nothing about the data leaks."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from chat_api.admin import usage_csv
from chat_api.admin.deps import AdminServiceDep, Operator, require_operator
from chat_api.admin.schemas import AdminUserPage, AuditPage, FeedbackPage, Grouping, UsageReport
from chat_api.admin.since import Since
from chat_api.admin.usage_report import UsageFilter
from chat_api.feedback.vocabulary import Rating
from chat_api.http.deps import SettingsDep
from chat_api.http.errors import ApiError, error_docs
from chat_api.storage.paging import CURSOR_PATTERN

MAX_DAYS = 366
DEFAULT_DAYS = 30

router = APIRouter(
    dependencies=[Depends(require_operator)],
    responses=error_docs(
        {
            401: "No valid access token (`unauthorized`).",
            403: "Not an operator: a guest, or an account whose tier is not an admin tier (`forbidden`).",
            422: "A filter is malformed, or the range is reversed or longer than 366 days (`invalid_request`).",
        }
    ),
)


def usage_filter(
    from_day: Annotated[
        date | None, Query(alias="from", description="The first day (UTC, YYYY-MM-DD). Unset: 29 days before `to`.")
    ] = None,
    to_day: Annotated[date | None, Query(alias="to", description="The last day (UTC). Unset: today.")] = None,
    user: Annotated[uuid.UUID | None, Query(description="Only this user's usage.")] = None,
    model: Annotated[str | None, Query(min_length=1, max_length=128, description="Only this model's.")] = None,
) -> UsageFilter:
    last = to_day or datetime.now(UTC).date()
    first = from_day or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ApiError(422, "invalid_request", "from: must not be after `to`")
    if (last - first).days >= MAX_DAYS:
        raise ApiError(422, "invalid_request", f"from: the range may span at most {MAX_DAYS} days")
    return UsageFilter(first, last, user, model)


Filters = Annotated[UsageFilter, Depends(usage_filter)]
GroupBy = Annotated[Grouping, Query(description="One row per user, per day or per model.")]


@router.get("/usage", summary="Tokens, answers, refusals and tool calls, summed by user, day or model")
async def usage(
    service: AdminServiceDep,
    where: Filters,
    group: GroupBy = "user",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> UsageReport:
    return await service.usage(group, where, limit)


@router.get(
    "/usage.csv",
    summary="The usage report as CSV (every row, up to 100,000), the export recorded in the audit log",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def usage_export(
    operator: Operator, service: AdminServiceDep, where: Filters, group: GroupBy = "user"
) -> Response:
    rows = await service.usage_export(operator, group, where)
    name = f"usage-{group}-{where.from_day:%Y%m%d}-{where.to_day:%Y%m%d}.csv"
    return Response(
        usage_csv.as_csv(group, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.get("/users", summary="Users, the newest first: tier, last seen, disabled")
async def users(
    service: AdminServiceDep,
    query: Annotated[
        str | None, Query(max_length=254, description="A part of the email or name, or the user's id.")
    ] = None,
    guests: Annotated[bool, Query(description="Guests too (they have no email or name).")] = False,
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AdminUserPage:
    return await service.users(query.strip() if query else None, guests, cursor, limit)


@router.post(
    "/users/{user_id}/disable",
    status_code=204,
    summary="Disable a user: refused from their next request on, on every replica; their sessions end",
    responses=error_docs({404: "No such user (`not_found`).", 409: "Your own account (`conflict`)."}),
)
async def disable(user_id: uuid.UUID, operator: Operator, service: AdminServiceDep) -> None:
    await service.set_disabled(operator, user_id, disabled=True)


@router.post(
    "/users/{user_id}/enable",
    status_code=204,
    summary="Enable a disabled user again: they sign in again",
    responses=error_docs({404: "No such user (`not_found`)."}),
)
async def enable(user_id: uuid.UUID, operator: Operator, service: AdminServiceDep) -> None:
    await service.set_disabled(operator, user_id, disabled=False)


@router.get("/audit", summary="Every operator's action (who, what, on whom, when), the newest first")
async def audit_log(
    service: AdminServiceDep,
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    return await service.audit_log(cursor, limit)


@router.get(
    "/feedback",
    summary="Votes on answers, the most recently given first (the question and answer only when "
    "ADMIN_SEES_FEEDBACK_CONTENT is true); viewing is not audited, exporting is",
)
async def feedback(
    service: AdminServiceDep,
    settings: SettingsDep,
    since: Since = None,
    rating: Annotated[Rating | None, Query(description="Only thumbs up, or only thumbs down.")] = None,
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> FeedbackPage:
    return await service.feedback(since, rating, settings.ADMIN_SEES_FEEDBACK_CONTENT, cursor, limit)
