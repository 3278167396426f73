"""Liveness and readiness, for compose healthchecks and orchestrators."""

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: settings valid and the upstream client created")
async def readyz(request: Request) -> JSONResponse:
    ready = getattr(request.app.state, "chat_service", None) is not None
    body = {"status": "ready" if ready else "starting"}
    return JSONResponse(body, status_code=200 if ready else 503)
