"""The app factory: settings, logging, the upstream client's lifespan, middleware, error handlers, routes."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from chat_api.errors import install_error_handlers
from chat_api.kernel import open_upstream
from chat_api.llm_service import ChatService
from chat_api.logs import configure_logging
from chat_api.openapi import install_openapi
from chat_api.request_context import RequestContextMiddleware
from chat_api.routes import chat, health
from chat_api.schemas import ErrorEnvelope
from chat_api.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.LOG_LEVEL)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_upstream(settings) as upstream:
            app.state.chat_service = ChatService(upstream, settings)
            yield
            app.state.chat_service = None

    app = FastAPI(
        title="Streaming chat API",
        version="0.1.0",
        description="Streams Azure OpenAI chat completions through Semantic Kernel. Every error body is "
        '`{"error": {"code", "message"}}`.',
        lifespan=lifespan,
        responses={404: {"model": ErrorEnvelope}, 405: {"model": ErrorEnvelope}},
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.chat_service = None
    install_openapi(app, settings)
    install_error_handlers(app)
    if settings.CORS_ALLOW_ORIGINS:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.CORS_ALLOW_ORIGINS,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.MAX_BODY_BYTES)
    app.include_router(chat.router)
    app.include_router(health.router)
    return app
