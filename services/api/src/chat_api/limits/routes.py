"""GET /api/me/usage: the user's limits, what is used, and when each frees."""

from fastapi import APIRouter
from pydantic import BaseModel

from chat_api.auth.deps import CurrentUser
from chat_api.http.errors import error_docs
from chat_api.limits.deps import LimitsDep

router = APIRouter(prefix="/api/me", tags=["auth"])


class RequestsUsage(BaseModel):
    limit: int
    used: int
    resets_in_s: int


class StreamsUsage(BaseModel):
    limit: int
    active: int


class TokensUsage(BaseModel):
    limit: int
    used: int  # reservations of answers still running included
    remaining: int
    resets_in_s: int  # at midnight UTC


class UsageView(BaseModel):
    limited: bool  # False: this deployment applies no per-user limit (no Redis)
    requests_per_minute: RequestsUsage | None = None
    concurrent_streams: StreamsUsage | None = None
    tokens_per_day: TokensUsage | None = None


@router.get(
    "/usage",
    summary="Your limits, what you have used, and when each resets",
    responses=error_docs({401: "No valid access token.", 503: "The limits cannot be read now (`limits_unavailable`)."}),
)
async def usage(user: CurrentUser, limits: LimitsDep) -> UsageView:
    now = await limits.usage(user)
    if now is None:
        return UsageView(limited=False)
    policy = now.policy
    return UsageView(
        limited=True,
        requests_per_minute=RequestsUsage(
            limit=policy.requests_per_minute, used=now.requests, resets_in_s=now.window_resets_in_s
        ),
        concurrent_streams=StreamsUsage(limit=policy.concurrent_streams, active=now.streams),
        tokens_per_day=TokensUsage(
            limit=policy.tokens_per_day,
            used=now.tokens_used,
            remaining=max(0, policy.tokens_per_day - now.tokens_used),
            resets_in_s=now.day_resets_in_s,
        ),
    )
