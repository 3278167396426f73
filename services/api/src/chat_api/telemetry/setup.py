"""Turning telemetry on: the standard OTEL_* variables configure it (OTEL_EXPORTER_OTLP_ENDPOINT switches it on,
OTEL_SERVICE_NAME names the service, ...). Off, nothing is instrumented and no provider exists: no cost.

The server span and HTTP metrics of each request are FastAPI's own (`fastapi_telemetry`, given to the app when it
is made); they use the global providers, which each worker's lifespan sets with their exporters and the database
and Redis instrumentation (after gunicorn's fork: an exporter's thread does not survive one), and flushes when
it ends.
"""

import logging
import socket
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fastapi.telemetry import TelemetryConfig
from sqlalchemy.ext.asyncio import AsyncEngine

from chat_api.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics.export import MetricReader
    from opentelemetry.sdk.trace import SpanProcessor

logger = logging.getLogger("chat_api.telemetry")

SERVICE_NAME = "chat-api"
PROBES = frozenset({"/api/healthz", "/api/readyz"})


@dataclass(frozen=True)
class Exporting:
    """Where spans and metrics go: OTLP by default; tests pass in-memory ones."""

    spans: "SpanProcessor"
    metrics: "MetricReader"


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
    gen_ai spans; flushed and shut down on exit. Off, the OpenTelemetry SDK and its exporters are not even
    imported (about 4 MB of every worker, measured)."""
    if not enabled(settings):
        yield
        return
    from chat_api.telemetry.sdk import instrumented

    with instrumented(settings, engine, exporting):
        yield
