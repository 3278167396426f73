"""Turning telemetry on: the standard OTEL_* variables configure it (OTEL_EXPORTER_OTLP_ENDPOINT switches it on,
OTEL_SERVICE_NAME names the service, ...). Off, nothing is instrumented and no provider exists: no cost.

The server span and HTTP metrics of each request are FastAPI's own (`fastapi_telemetry`, given to the app when it
is made); they use the global providers, which each worker's lifespan sets with their exporters and the database
and Redis instrumentation (after gunicorn's fork: an exporter's thread does not survive one), and flushes when
it ends.
"""

import logging
import os
import socket
import uuid
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from fastapi.telemetry import TelemetryConfig
from opentelemetry import metrics, trace
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.metrics import NoOpMeterProvider
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
PROBES = frozenset({"/api/healthz", "/api/readyz"})


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


def fastapi_telemetry(on: bool) -> TelemetryConfig:
    """FastAPI's native telemetry: one server span per request (none per dependency, serialisation step or
    streamed chunk), the HTTP duration and active-request metrics, probes left out. Its exception log records
    stay off: the JSON log has each error, with its trace id. Off, FastAPI looks for no provider at all."""
    if not on:
        return {"tracing": False, "metrics": False, "logs": False, "auto_configure": False}
    return {"operation_spans": False, "logs": False, "auto_configure": False, "exclude": _is_probe}


def _is_probe(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in PROBES


@contextmanager
def providers(settings: Settings, engine: AsyncEngine, exporting: Exporting | None = None) -> Iterator[None]:
    """This worker's tracer and meter providers, the database's and Redis's spans, and Semantic Kernel's
    gen_ai spans (`model_spans`); flushed and shut down on exit."""
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
    # spans): without skip_dep_check it would decline to instrument. Its one metric, the pool's connections in
    # use, is left out: counted at every checkout and return, it cost more than all the statements' spans
    # (bench/telemetry_cost.py).
    SQLAlchemyInstrumentor().instrument(
        engine=engine.sync_engine,
        tracer_provider=tracer_provider,
        meter_provider=NoOpMeterProvider(),
        skip_dep_check=True,
    )
    redis = RedisInstrumentor()
    instrumented_redis = redis.is_instrumented_by_opentelemetry  # by an app before this one, in tests
    if not instrumented_redis:
        redis.instrument(tracer_provider=tracer_provider)
    try:
        with model_spans(settings):
            yield
    finally:
        if not instrumented_redis:
            redis.uninstrument()
        tracer_provider.shutdown()
        meter_provider.shutdown()


@contextmanager
def model_spans(settings: Settings) -> Iterator[None]:
    """Semantic Kernel's gen_ai span around each model call (TELEMETRY_MODEL_SPANS), with prompts and answers
    only if TELEMETRY_CONTENT; as they were on exit. The span keeps every chunk of an answer until its end, then
    adds them up: most of what telemetry costs per token (bench/README.md), hence the switch."""
    diagnostics = model_diagnostics.MODEL_DIAGNOSTICS_SETTINGS
    before = diagnostics.enable_otel_diagnostics, diagnostics.enable_otel_diagnostics_sensitive
    diagnostics.enable_otel_diagnostics = settings.TELEMETRY_MODEL_SPANS
    diagnostics.enable_otel_diagnostics_sensitive = settings.TELEMETRY_MODEL_SPANS and settings.TELEMETRY_CONTENT
    try:
        yield
    finally:
        diagnostics.enable_otel_diagnostics, diagnostics.enable_otel_diagnostics_sensitive = before
