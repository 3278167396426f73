"""The current trace, as a user's error report or a log line names it."""

from opentelemetry import trace


def current_trace_id() -> str | None:
    """The trace the current request belongs to, as viewers show it (32 hex digits); None with telemetry off."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
