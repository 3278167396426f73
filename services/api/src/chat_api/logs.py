"""Logging as one JSON object per line, so every line can be searched by request id."""

import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from chat_api.telemetry.traces import current_trace_id

# Below WARNING, the HTTP stack under the openai SDK logs hosts, ports and URLs, and the database drivers log
# every statement with its parameters (emails, password hashes): never let those through.
QUIET_LIBRARIES = (
    *("httpx", "httpx2", "httpcore", "httpcore2", "openai", "semantic_kernel", "azure", "aiohttp"),
    *("sqlalchemy", "aiosqlite", "asyncpg", "alembic"),
)
REDACTED = "[upstream]"


class JsonFormatter(logging.Formatter):
    """One JSON object per record. `hide`: strings (the upstream's address) replaced wherever they appear,
    a last guard for anything a library writes at WARNING or above."""

    def __init__(self, hide: Iterable[str] = (), trace_ids: bool = False) -> None:
        super().__init__()
        self.hide = [text for text in hide if text]
        self.trace_ids = trace_ids

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if self.trace_ids and (trace_id := current_trace_id()):
            entry["trace_id"] = trace_id
        if record.exc_info and record.exc_info[0] is not None:
            # The type only: tracebacks can carry request data and upstream URLs; debug with LOG_LEVEL=DEBUG.
            entry["error"] = record.exc_info[0].__name__
            if record.levelno <= logging.DEBUG or logging.getLogger().isEnabledFor(logging.DEBUG):
                entry["traceback"] = self.formatException(record.exc_info)
        line = orjson.dumps(entry, default=str).decode()
        for text in self.hide:
            line = line.replace(text, REDACTED)
        return line


class _HideDeliberateAborts(logging.Filter):
    """The relay ends a failed text stream by returning early, so the server cuts the connection without a
    terminating chunk; the server reports that as an error, but here it is the contract working."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "ASGI callable returned without completing response."


# Semantic Kernel logs each tool call's arguments and a failing tool's message (at ERROR): the user's content.
# The tools' own log lines (chat_api.tools) say which tool and how it ended, without it.
TOOL_CONTENT_LOGGERS = ("semantic_kernel.functions.kernel_function",)


def _drop_everything(record: logging.LogRecord) -> bool:
    return False


def configure_logging(
    level: str, hide: Iterable[str] = (), trace_ids: bool = False, message_text: bool = False
) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(hide, trace_ids))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "gunicorn.error"):
        named = logging.getLogger(name)
        named.handlers[:] = []
        named.propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # chat_api.access logs each request, with more
    logging.getLogger("uvicorn.error").addFilter(_HideDeliberateAborts())
    for noisy in QUIET_LIBRARIES:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    for name in TOOL_CONTENT_LOGGERS:
        # A filter, not `disabled`: a later dictConfig (uvicorn's, at a server's start) enables every logger again.
        quiet = logging.getLogger(name)
        quiet.filters[:] = [] if message_text else [_drop_everything]
