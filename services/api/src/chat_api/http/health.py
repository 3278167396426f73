"""Liveness and readiness, for compose healthchecks and orchestrators."""

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from chat_api.server import shutdown

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: started, and not shutting down",
    responses={503: {"description": "Starting, or shutting down: send new work elsewhere."}},
)
async def readyz(request: Request) -> JSONResponse:
    if shutdown.in_progress():
        return JSONResponse({"status": "shutting_down"}, status_code=503)
    ready = "chat" in request.scope.get("state", {})
    return JSONResponse({"status": "ready" if ready else "starting"}, status_code=200 if ready else 503)
