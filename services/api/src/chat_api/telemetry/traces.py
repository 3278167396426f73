"""The current trace, as a user's error report or a log line names it; and work kept out of traces."""

from contextlib import AbstractContextManager

from opentelemetry import trace
from opentelemetry.instrumentation.utils import suppress_instrumentation


def current_trace_id() -> str | None:
    """The trace the current request belongs to, as viewers show it (32 hex digits); None with telemetry off."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def untraced() -> AbstractContextManager[None]:
    """No spans for what runs inside: work repeated per token (an answer's events written to Redis, the shared
    read that follows them), which would otherwise be a span each, children of a request long ended."""
    return suppress_instrumentation()
