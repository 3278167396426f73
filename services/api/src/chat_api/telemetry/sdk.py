"""The OpenTelemetry SDK wired into a worker: its providers with their exporters, the database's and Redis's
instrumentation, Semantic Kernel's gen_ai spans. Imported by `setup.providers` only when telemetry is on."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import metrics, trace
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from semantic_kernel.utils.telemetry.model_diagnostics import decorators as model_diagnostics
from sqlalchemy.ext.asyncio import AsyncEngine

from chat_api.settings import Settings
from chat_api.telemetry.setup import SERVICE_NAME, Exporting


@contextmanager
def instrumented(settings: Settings, engine: AsyncEngine, exporting: Exporting | None = None) -> Iterator[None]:
    """This worker's tracer and meter providers, the database's and Redis's spans, and Semantic Kernel's
    gen_ai spans (`model_spans`); flushed and shut down on exit."""
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
