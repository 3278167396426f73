"""A bounded log of recent requests, for tests to read what the upstream saw (never the key)."""

import itertools
import logging
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

logger = logging.getLogger("emulator.requests")


@dataclass
class RequestRecord:
    """One request as the emulator saw it. Times are Unix epoch seconds, comparable across processes."""

    id: int
    route: str
    deployment: str
    received_at: float = field(default_factory=time.time)
    client: str | None = None  # the caller's address: which api replica sent it, for tests of replicas
    api_version: str | None = None
    tag: str | None = None
    messages: int | None = None
    roles: list[str] = field(default_factory=list)  # of the messages, in order
    summary: bool = False  # a summarisation request (instructions: a system message beginning "Summarize")
    carries_summary: bool = False  # its system message carries an earlier summary
    title: bool = False  # a title request (instructions: a first system message beginning "Write a short title")
    options: dict[str, Any] = field(default_factory=dict)
    operation: str = "chat.completions"  # or "embeddings"
    tools: list[str] = field(default_factory=list)  # the names offered
    tool_calls: list[str] = field(default_factory=list)  # the names this response called
    tool_results: int = 0  # `tool` messages the request carried
    images: int = 0  # image parts the request carried
    inputs: int | None = None  # an embeddings request's inputs
    fault: str | None = None
    attempt: int | None = None
    status: int | None = None
    started_at: float | None = None  # response headers sent
    first_token_at: float | None = None
    ended_at: float | None = None
    outcome: str | None = None  # completed | disconnected | dropped | error
    disconnected: bool = False
    disconnected_at: float | None = None
    tokens_sent: int = 0
    chunks_sent: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    def __init__(self, size: int) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=size)
        self._ids = itertools.count(1)

    def open(self, route: str, deployment: str, client: str | None = None) -> RequestRecord:
        record = RequestRecord(id=next(self._ids), route=route, deployment=deployment, client=client)
        self._records.append(record)
        return record

    def close(self, record: RequestRecord) -> None:
        record.ended_at = time.time()
        if record.outcome is None:
            record.outcome = "completed" if record.status is not None and record.status < 400 else "error"
        if logger.isEnabledFor(logging.INFO):
            logger.info(orjson.dumps(record.as_dict()).decode())

    def recent(self, tag: str | None = None, limit: int | None = None) -> list[RequestRecord]:
        records = [r for r in self._records if tag is None or r.tag == tag]
        return records[-limit:] if limit else records

    def clear(self) -> None:
        self._records.clear()
