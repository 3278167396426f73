"""The app factory: settings, logging, the lifespan's typed state, middleware, error handlers, routes."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from chat_api.admin import routes as admin_routes
from chat_api.auth import routes as auth_routes
from chat_api.chat.openapi import document_limits
from chat_api.conversations import routes as conversation_routes
from chat_api.conversations.openapi import document_limits as document_conversation_limits
from chat_api.documents import routes as document_routes
from chat_api.feedback import routes as feedback_routes
from chat_api.generations import routes as generation_routes
from chat_api.http import health
from chat_api.http.errors import COMMON_ERRORS, install_error_handlers
from chat_api.http.middleware import RequestContextMiddleware
from chat_api.http.openapi import install_openapi
from chat_api.limits import routes as limit_routes
from chat_api.logs import configure_logging
from chat_api.search import routes as search_routes
from chat_api.services import open_services
from chat_api.settings import Settings, get_settings
from chat_api.shares import routes as share_routes
from chat_api.stateless import model_routes
from chat_api.stateless import routes as chat_routes
from chat_api.telemetry import setup as telemetry_setup
from chat_api.tools import routes as tool_routes
from chat_api.user_memories import routes as memory_routes


def create_app(settings: Settings | None = None, exporting: telemetry_setup.Exporting | None = None) -> FastAPI:
    """`exporting`: where telemetry goes when it is on (OTLP by default; tests pass in-memory ones)."""
    settings = settings or get_settings()
    configure_logging(
        settings.LOG_LEVEL,
        hide=settings.upstream_addresses,
        trace_ids=settings.telemetry_enabled,
        message_text=settings.LOG_MESSAGE_TEXT,
    )
    traced = telemetry_setup.enabled(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[dict[str, Any]]:
        async with open_services(settings, exporting) as state:
            yield state

    app = FastAPI(
        title="Streaming chat API",
        version="0.1.0",
        description="Streams Azure OpenAI chat completions through Semantic Kernel. Every error body is "
        '`{"error": {"code", "message"}}`.',
        lifespan=lifespan,
        responses=COMMON_ERRORS,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        telemetry=telemetry_setup.fastapi_telemetry(traced),
    )
    install_openapi(
        app,
        [partial(document_limits, settings=settings), partial(document_conversation_limits, settings=settings)],
    )
    install_error_handlers(app)
    if settings.CORS_ALLOW_ORIGINS:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.CORS_ALLOW_ORIGINS,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID", "X-Request-ID"],
            allow_credentials=True,
            expose_headers=["X-Request-ID", "X-Trace-Id", "Retry-After"],
        )
    upload_bytes = settings.FILES_MAX_BYTES + document_routes.MULTIPART_OVERHEAD_BYTES
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.MAX_BODY_BYTES,
        trace_ids=traced,
        larger_bodies=[(document_routes.UPLOAD_PATH, upload_bytes)],
    )
    app.include_router(auth_routes.router)
    app.include_router(auth_routes.me_router)
    app.include_router(memory_routes.router)
    app.include_router(limit_routes.router)
    app.include_router(conversation_routes.router)
    app.include_router(generation_routes.router)
    app.include_router(feedback_routes.router)
    app.include_router(share_routes.router)
    app.include_router(share_routes.public_router)
    app.include_router(admin_routes.router)
    app.include_router(search_routes.router)
    app.include_router(tool_routes.router)
    app.include_router(document_routes.router)
    app.include_router(chat_routes.router)
    app.include_router(model_routes.router)
    app.include_router(health.router)
    return app
