"""Telemetry: OpenTelemetry traces, metrics and log correlation, on only when an OTLP endpoint is configured."""
