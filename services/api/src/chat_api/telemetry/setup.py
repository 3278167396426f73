"""Turning telemetry on: the standard OTEL_* variables configure it (OTEL_EXPORTER_OTLP_ENDPOINT switches it on,
OTEL_SERVICE_NAME names the service, ...). Off, nothing is instrumented and no provider exists: no cost.

The app's routes are instrumented when the app is made (before gunicorn forks: the middleware must be in place
before the first request); the providers, their exporters and the database and Redis instrumentation are made
in each worker's lifespan (after the fork: an exporter's thread does not survive one), and flushed when it ends.
"""

import logging
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from fastapi import FastAPI
from opentelemetry import metrics, trace
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from semantic_kernel.utils.telemetry.model_diagnostics import decorators as model_diagnostics
from sqlalchemy.ext.asyncio import AsyncEngine

from chat_api.settings import Settings

logger = logging.getLogger("chat_api.telemetry")

SERVICE_NAME = "chat-api"
UNTRACED_ROUTES = "api/healthz,api/readyz"


@dataclass(frozen=True)
class Exporting:
    """Where spans and metrics go: OTLP by default; tests pass in-memory ones."""

    spans: SpanProcessor
    metrics: MetricReader


def enabled(settings: Settings) -> bool:
    """On with an endpoint whose host exists. Compose names the observability profile's collector: without
    the profile that name is not known, and telemetry stays off rather than failing every export."""
    endpoint = settings.OTEL_EXPORTER_OTLP_ENDPOINT
    return settings.telemetry_enabled and endpoint is not None and _host_known(urlsplit(endpoint).hostname or "")


@cache  # once per process: the master decides before forking, and its workers inherit the answer
def _host_known(host: str) -> bool:
    try:
        socket.getaddrinfo(host, None)
    except socket.gaierror:
        logger.warning("telemetry off: the collector's host %r is not known (OTEL_EXPORTER_OTLP_ENDPOINT)", host)
        return False
    return True


def instrument_app(app: FastAPI) -> None:
    """One server span per request, without a span per streamed chunk (ASGI send and receive)."""
    FastAPIInstrumentor.instrument_app(app, exclude_spans=["receive", "send"], excluded_urls=UNTRACED_ROUTES)


@contextmanager
def providers(settings: Settings, engine: AsyncEngine, exporting: Exporting | None = None) -> Iterator[None]:
    """This worker's tracer and meter providers, the database's and Redis's spans, and Semantic Kernel's
    gen_ai spans (prompts and answers only with SEMANTICKERNEL_EXPERIMENTAL_GENAI_ENABLE_OTEL_DIAGNOSTICS_SENSITIVE);
    flushed and shut down on exit."""
    if not enabled(settings):
        yield
        return
    exporting = exporting or Exporting(
        BatchSpanProcessor(OTLPSpanExporter()), PeriodicExportingMetricReader(OTLPMetricExporter())
    )
    # Each worker is an instance of its own: its cumulative metrics are told apart from its siblings'.
    resource = Resource.create(
        {"service.name": os.environ.get("OTEL_SERVICE_NAME", SERVICE_NAME), "service.instance.id": str(uuid.uuid4())}
    )
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(exporting.spans)
    meter_provider = MeterProvider(resource=resource, metric_readers=[exporting.metrics])
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    # Its declared range ends before SQLAlchemy 2.1, whose engine events it uses unchanged (the tests see the
    # spans): without skip_dep_check it would decline to instrument.
    SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, tracer_provider=tracer_provider, skip_dep_check=True)
    redis = RedisInstrumentor()
    if not redis.is_instrumented_by_opentelemetry:
        redis.instrument(tracer_provider=tracer_provider)
    model_diagnostics.MODEL_DIAGNOSTICS_SETTINGS.enable_otel_diagnostics = True
    model_diagnostics.MODEL_DIAGNOSTICS_SETTINGS.enable_otel_diagnostics_sensitive = settings.TELEMETRY_CONTENT
    try:
        yield
    finally:
        model_diagnostics.MODEL_DIAGNOSTICS_SETTINGS.enable_otel_diagnostics = False
        model_diagnostics.MODEL_DIAGNOSTICS_SETTINGS.enable_otel_diagnostics_sensitive = False
        redis.uninstrument()
        tracer_provider.shutdown()
        meter_provider.shutdown()
