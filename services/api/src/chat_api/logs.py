"""Logging as one JSON object per line, so every line can be searched by request id."""

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[0] is not None:
            # The type only: tracebacks can carry request data and upstream URLs; debug with LOG_LEVEL=DEBUG.
            entry["error"] = record.exc_info[0].__name__
            if record.levelno <= logging.DEBUG or logging.getLogger().isEnabledFor(logging.DEBUG):
                entry["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class _HideDeliberateAborts(logging.Filter):
    """The relay ends a failed text stream by returning early, so the server cuts the connection without a
    terminating chunk; the server reports that as an error, but here it is the contract working."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "ASGI callable returned without completing response."


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "gunicorn.error"):
        named = logging.getLogger(name)
        named.handlers[:] = []
        named.propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # chat_api.access logs each request, with more
    logging.getLogger("uvicorn.error").addFilter(_HideDeliberateAborts())
    for noisy in ("httpx", "httpx2", "httpcore", "openai", "semantic_kernel", "azure"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
