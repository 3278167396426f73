"""Telemetry end to end: the api with telemetry on (one replica, two gunicorn workers) exports with its real
OTLP/HTTP exporter to a receiver on the compose network (tests/e2e/otlp_sink; compose.e2e.yaml runs both). A
streamed chat, a stopped answer and a failed chat each arrive as a trace, their outcomes and token usage as
metrics, from both workers; nothing sensitive in any of it (no message text, key or token)."""

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from httpx_sse import EventSource, connect_sse

from .support import KEY, compose, needs_compose, new_tag

pytestmark = needs_compose

SECRET_WORDS = "persimmon-velodrome"
ARRIVAL_S = 15.0  # metrics are exported every 0.5 s and spans every 0.2 s here (OTEL_* in compose.e2e.yaml)


def published(service: str, port: str) -> str:
    return "http://" + compose("port", service, port).strip().splitlines()[0]


@dataclass
class Chats:
    token: str
    streamed: str  # trace ids
    stopped: str
    failed: str
    usage: dict[str, int]
    failure: dict[str, Any]


def sse(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    return [(event.event, event.json()) for event in EventSource(response).iter_sse()]


@pytest.fixture(scope="module")
def chats() -> Iterator[Chats]:
    with httpx.Client(base_url=published("api-telemetry", "8000"), timeout=30) as http:
        token = http.post("/api/auth/guest").json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"

        streamed = http.post(
            "/api/chat/events", json={"message": f"About {SECRET_WORDS}\n@emulator tokens=6 tag={new_tag()}"}
        )
        assert streamed.status_code == 200, streamed.text
        usage = next(data for name, data in sse(streamed) if name == "usage")

        conversation = http.post("/api/conversations", json={"title": SECRET_WORDS}).json()["id"]
        slow = f"Stop me, {SECRET_WORDS}\n@emulator ttft_ms=0 token_ms=40 tokens=200 tag={new_tag()}"
        with connect_sse(http, "POST", f"/api/conversations/{conversation}/messages", json={"content": slow}) as source:
            stopped_trace = source.response.headers["x-trace-id"]
            seen = []
            for event in source.iter_sse():
                seen.append(event)
                if len(seen) == 4:
                    answer = seen[0].json()["assistant_message_id"]
                    assert http.post(f"/api/generations/{answer}/stop").status_code == 202
            assert seen[-1].event == "done" and seen[-1].json()["finish_reason"] == "cancelled"

        failed = http.post("/api/chat/events", json={"message": f"@emulator fault=500 tag={new_tag()}"})
        assert failed.status_code == 502, failed.text

        # More chats, each on a connection of its own, so both workers (SO_REUSEPORT) serve some.
        for _ in range(16):
            with httpx.Client(base_url=http.base_url, headers=http.headers, timeout=30) as fresh:
                assert fresh.post("/api/chat/events", json={"message": "@emulator tokens=2"}).status_code == 200

        yield Chats(
            token,
            streamed.headers["x-trace-id"],
            stopped_trace,
            failed.headers["x-trace-id"],
            usage,
            failed.json()["error"],
        )


def received() -> dict[str, list[dict[str, Any]]]:
    exported: dict[str, list[dict[str, Any]]] = httpx.get(published("otlp-sink", "4318") + "/received").json()
    return exported


def attributes(item: dict[str, Any]) -> dict[str, Any]:
    """OTLP's key/value list as a dict (int64 values arrive as strings in protobuf's JSON)."""
    return {entry["key"]: next(iter(entry["value"].values()), None) for entry in item.get("attributes", [])}


def spans(exported: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [
        span
        for request in exported["traces"]
        for resource in request.get("resourceSpans", [])
        for scope in resource.get("scopeSpans", [])
        for span in scope.get("spans", [])
    ]


def in_trace(exported: dict[str, list[dict[str, Any]]], trace_id: str) -> list[dict[str, Any]]:
    return [span for span in spans(exported) if base64.b64decode(span["traceId"]).hex() == trace_id]


def latest_points(exported: dict[str, list[dict[str, Any]]], name: str) -> dict[str, list[dict[str, Any]]]:
    """Each worker's (service.instance.id's) data points for `name` in its latest export (sums are cumulative)."""
    points: dict[str, list[dict[str, Any]]] = {}
    for request in exported["metrics"]:
        for resource in request.get("resourceMetrics", []):
            instance = attributes(resource["resource"])["service.instance.id"]
            for scope in resource.get("scopeMetrics", []):
                for metric in scope.get("metrics", []):
                    if metric["name"] == name:
                        kind = next(key for key in ("histogram", "sum", "gauge") if key in metric)
                        points[instance] = metric[kind].get("dataPoints", [])
    return points


def total(points: dict[str, list[dict[str, Any]]], key: str, value: str, field: str) -> float:
    return sum(
        float(point.get(field, 0))
        for worker in points.values()
        for point in worker
        if attributes(point).get(key) == value
    )


def arrived(check: Any) -> dict[str, list[dict[str, Any]]]:
    """What the receiver holds once `check(exported)` passes (or the last failure, after ARRIVAL_S)."""
    deadline = time.monotonic() + ARRIVAL_S
    while True:
        exported = received()
        try:
            check(exported)
            return exported
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def test_each_chat_is_a_trace_with_its_children(chats: Chats) -> None:
    def complete(exported: dict[str, list[dict[str, Any]]]) -> None:
        for trace_id in (chats.streamed, chats.stopped, chats.failed):
            assert any("parentSpanId" not in span for span in in_trace(exported, trace_id)), trace_id

    exported = arrived(complete)
    streamed = in_trace(exported, chats.streamed)
    (server,) = [span for span in streamed if "parentSpanId" not in span]
    assert server["name"] == "POST /api/chat/events"
    assert not [span for span in streamed if span["name"].endswith((" http send", " http receive"))]
    (model,) = [span for span in streamed if str(attributes(span).get("gen_ai.operation.name")).startswith("chat")]
    assert int(attributes(model)["gen_ai.usage.output_tokens"]) == chats.usage["completion_tokens"]
    assert int(attributes(model)["gen_ai.usage.input_tokens"]) == chats.usage["prompt_tokens"]

    stopped = in_trace(exported, chats.stopped)
    systems = {attributes(span).get("db.system") or attributes(span).get("db.system.name") for span in stopped}
    assert {"postgresql", "redis"} <= systems, systems

    (failed_server,) = [span for span in in_trace(exported, chats.failed) if "parentSpanId" not in span]
    status = attributes(failed_server)
    assert int(status.get("http.response.status_code", status.get("http.status_code", 0))) == 502
    assert chats.failure["trace_id"] == chats.failed  # the envelope of a 5xx names its trace


def test_metrics_arrive_from_every_worker_with_outcomes_and_usage(chats: Chats) -> None:
    def complete(exported: dict[str, list[dict[str, Any]]]) -> None:
        outcomes = latest_points(exported, "chat.stream.outcomes")
        assert len(outcomes) == 2, f"metrics from {len(outcomes)} of 2 workers"
        for outcome in ("done", "stopped", "error"):
            assert total(outcomes, "chat.outcome", outcome, "asInt") >= 1, outcome
        usage = latest_points(exported, "gen_ai.client.token.usage")
        # The 16 small chats 2 tokens each, the streamed one its own, the stopped one what it had when stopped.
        assert total(usage, "gen_ai.token.type", "output", "sum") >= chats.usage["completion_tokens"] + 16 * 2

    exported = arrived(complete)
    assert latest_points(exported, "gen_ai.client.operation.time_to_first_chunk")
    assert latest_points(exported, "gen_ai.client.operation.duration")


def test_nothing_sensitive_is_exported(chats: Chats) -> None:
    everything = json.dumps(arrived(lambda exported: None))
    for secret in (SECRET_WORDS, KEY, chats.token):
        assert secret not in everything
