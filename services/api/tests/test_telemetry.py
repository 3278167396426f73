"""Telemetry on (an OTLP endpoint set), with in-memory exporters in place of OTLP: one server span per request
(no span per streamed chunk), Semantic Kernel's gen_ai span under it with the model's usage, the database's
spans; token metrics equal to the usage the client saw; the trace id in the response and the log line; no
message text anywhere by default."""

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from emulator.app import Emulator
from emulator.testing import eventually, serve
from httpx_sse import aconnect_sse
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from semantic_kernel.utils.telemetry.model_diagnostics import decorators as model_diagnostics

from chat_api.logs import JsonFormatter
from chat_api.main import create_app
from chat_api.telemetry.sdk import model_spans
from chat_api.telemetry.setup import Exporting
from chat_api.telemetry.setup import enabled as telemetry_enabled

from .conftest import PROMPTLY_S, api_settings, chat, fresh_store, signed_in, sse_events, upstream_closed_after_leaving
from .redis_server import restartable_redis

SECRET_WORDS = "tangerine-submarine"


@pytest.fixture(scope="module")
def traced(emulator_url: str) -> Iterator[tuple[str, InMemorySpanExporter, InMemoryMetricReader]]:
    spans, metrics = InMemorySpanExporter(), InMemoryMetricReader()
    settings = api_settings(emulator_url, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9", TELEMETRY_MODEL_SPANS=True)
    with serve(create_app(settings, Exporting(SimpleSpanProcessor(spans), metrics))) as url:
        yield url, spans, metrics


def sums(reader: InMemoryMetricReader, name: str) -> dict[str, float]:
    """A histogram's sums by gen_ai.token.type (or a counter's values by its first attribute)."""
    found: dict[str, float] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data is not None else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name != name:
                    continue
                for point in metric.data.data_points:
                    attributes = dict(point.attributes or {})
                    key = str(attributes.get("gen_ai.token.type", attributes.get("chat.outcome", "")))
                    found[key] = found.get(key, 0) + getattr(point, "sum", getattr(point, "value", 0))
    return found


def by_trace(spans: list[ReadableSpan], trace_id: str) -> list[ReadableSpan]:
    return [span for span in spans if span.context is not None and format(span.context.trace_id, "032x") == trace_id]


async def answer_in_a_new_conversation(url: str, directive: str) -> httpx.Response:
    """A guest's new conversation, and the streamed answer to its first message."""
    async with signed_in(url) as http:
        conversation = (await http.post("/api/conversations", json={})).json()["id"]
        body, _ = chat(directive)
        return await http.post(f"/api/conversations/{conversation}/messages", json={"content": body["message"]})


class AccessLines(logging.Handler):
    """The access log's lines as the api writes them: formatted where they are emitted, in the request."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter(trace_ids=True))
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def access_lines() -> Iterator[AccessLines]:
    handler, logger = AccessLines(), logging.getLogger("chat_api.access")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


async def test_a_chat_is_one_server_span_with_the_models_span_and_its_usage(
    traced: tuple[str, InMemorySpanExporter, InMemoryMetricReader], access_lines: AccessLines
) -> None:
    url, exporter, reader = traced
    before = sums(reader, "gen_ai.client.token.usage")
    async with signed_in(url) as http:
        body, _ = chat("tokens=7", message=f"Tell me about {SECRET_WORDS}")
        response = await http.post("/api/chat/events", json=body)
    events = sse_events(response)
    usage = next(data for name, data in events if name == "usage")
    trace_id = response.headers["x-trace-id"]

    spans = by_trace(list(exporter.get_finished_spans()), trace_id)
    server = [span for span in spans if span.parent is None]
    assert [span.name for span in server] == ["POST /api/chat/events"]
    assert not [span for span in spans if span.name.endswith((" http send", " http receive"))]
    # The operation is "chat" in current Semantic Kernel ("chat.streaming_completions" in older releases).
    model = [span for span in spans if str(dict(span.attributes or {}).get("gen_ai.operation.name")).startswith("chat")]
    assert len(model) == 1 and model[0].parent is not None
    attributes = dict(model[0].attributes or {})
    assert attributes["gen_ai.usage.input_tokens"] == usage["prompt_tokens"]
    assert attributes["gen_ai.usage.output_tokens"] == usage["completion_tokens"]

    after = sums(reader, "gen_ai.client.token.usage")
    assert after.get("input", 0) - before.get("input", 0) == usage["prompt_tokens"]
    assert after.get("output", 0) - before.get("output", 0) == usage["completion_tokens"]
    assert sums(reader, "chat.stream.outcomes").get("done", 0) >= 1

    everything = json.dumps([json.loads(span.to_json()) for span in spans])
    assert SECRET_WORDS not in everything  # no message text by default
    access = await eventually(  # written once the response has ended, a moment after the client has it all
        lambda: [line for line in access_lines.lines if line.get("route") == "/api/chat/events"], what="log line"
    )
    assert access[-1]["trace_id"] == trace_id


async def test_a_conversation_answer_has_database_spans_and_its_outcome_counted(
    traced: tuple[str, InMemorySpanExporter, InMemoryMetricReader],
) -> None:
    url, exporter, reader = traced
    response = await answer_in_a_new_conversation(url, "tokens=4")
    assert sse_events(response)[-1][0] == "done"
    spans = by_trace(list(exporter.get_finished_spans()), response.headers["x-trace-id"])
    assert any(dict(span.attributes or {}).get("db.system") == "sqlite" for span in spans)
    outcomes: dict[str, Any] = sums(reader, "chat.stream.outcomes")
    assert outcomes.get("done", 0) >= 2


async def test_votes_are_counted_by_model_and_outcome(
    traced: tuple[str, InMemorySpanExporter, InMemoryMetricReader],
) -> None:
    url, _, reader = traced
    async with signed_in(url) as http:
        conversation = (await http.post("/api/conversations", json={})).json()["id"]
        reply = await http.post(
            f"/api/conversations/{conversation}/messages", json={"content": "hi\n@emulator tokens=2"}
        )
        answer = next(data for name, data in sse_events(reply) if name == "start")["assistant_message_id"]
        path = f"/api/conversations/{conversation}/messages/{answer}/feedback"
        before = sums(reader, "chat.feedback.votes")
        for body in ({"rating": "up"}, {"rating": "down"}, {"rating": "down", "comment": "only the words changed"}):
            assert (await http.put(path, json=body)).status_code == 200
        assert (await http.delete(path)).status_code == 204
        assert (await http.delete(path)).status_code == 204  # nothing left to withdraw: not counted
    after = sums(reader, "chat.feedback.votes")
    counted = {outcome: after.get(outcome, 0) - before.get(outcome, 0) for outcome in ("up", "down", "withdrawn")}
    assert counted == {"up": 1, "down": 1, "withdrawn": 1}
    models = {
        dict(point.attributes or {}).get("gen_ai.request.model")
        for resource in reader.get_metrics_data().resource_metrics  # type: ignore[union-attr]
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "chat.feedback.votes"
        for point in metric.data.data_points
    }
    assert models == {"chat"}  # the answer's model


async def test_telemetry_off_adds_nothing(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/chat/events", json=chat("tokens=2")[0])
    assert response.status_code == 200 and "x-trace-id" not in response.headers


async def test_with_telemetry_on_a_client_leaving_still_closes_the_upstream_at_once(
    traced: tuple[str, InMemorySpanExporter, InMemoryMetricReader], emulator: Emulator
) -> None:
    """Semantic Kernel's span wraps the stream it reads when telemetry is on: the upstream must still close."""
    url, _, reader = traced
    async with signed_in(url) as http:
        assert await upstream_closed_after_leaving(http, emulator) < PROMPTLY_S
    assert await eventually(lambda: sums(reader, "chat.stream.outcomes").get("stopped"), what="a stopped stream")


async def test_a_failure_on_our_side_names_its_trace_in_the_envelope(
    traced: tuple[str, InMemorySpanExporter, InMemoryMetricReader],
) -> None:
    url, exporter, _ = traced
    async with signed_in(url) as http:
        failed = await http.post("/api/chat/events", json=chat("fault=500")[0])
        refused = await http.post("/api/chat/events", json={"message": ""})
    assert failed.status_code == 502
    error = failed.json()["error"]
    assert error["code"] == "upstream_error" and error["trace_id"] == failed.headers["x-trace-id"]
    assert by_trace(list(exporter.get_finished_spans()), error["trace_id"])
    assert refused.status_code == 422 and "trace_id" not in refused.json()["error"]  # the user's own mistake


async def test_a_reader_coming_back_to_a_live_answer_is_counted_as_resumed(
    traced: tuple[str, InMemorySpanExporter, InMemoryMetricReader],
) -> None:
    url, _, reader = traced
    before = sums(reader, "chat.stream.outcomes").get("resumed", 0)
    async with signed_in(url) as http:
        conversation = (await http.post("/api/conversations", json={})).json()["id"]
        body, _ = chat("ttft_ms=0 token_ms=5 tokens=60")
        seen = []
        async with aconnect_sse(
            http, "POST", f"/api/conversations/{conversation}/messages", json={"content": body["message"]}
        ) as source:
            async for event in source.aiter_sse():
                seen.append(event)
                if len(seen) == 5:
                    break  # the connection drops mid-answer
        answer = seen[0].json()["assistant_message_id"]
        rest = await http.get(f"/api/generations/{answer}/events", headers={"Last-Event-ID": seen[-1].id})
    assert sse_events(rest)[-1][0] == "done"
    assert sums(reader, "chat.stream.outcomes").get("resumed", 0) == before + 1


def test_an_endpoint_whose_host_does_not_exist_leaves_telemetry_off(
    emulator_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Compose names the observability profile's collector; without the profile, that host is not known."""
    settings = api_settings(emulator_url, OTEL_EXPORTER_OTLP_ENDPOINT="http://no-such-collector.invalid:4318")
    with caplog.at_level(logging.WARNING, logger="chat_api.telemetry"):
        assert not telemetry_enabled(settings)
    assert "no-such-collector.invalid" in caplog.text and "telemetry off" in caplog.text
    assert telemetry_enabled(api_settings(emulator_url, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4318"))


async def test_an_answer_written_to_redis_is_not_a_span_per_token(
    traced: tuple[str, InMemorySpanExporter, InMemoryMetricReader], emulator_url: str, request: pytest.FixtureRequest
) -> None:
    """With Postgres and Redis (as in compose), the answer's events go to Redis a batch at a time: those writes,
    and the shared read that follows them, are kept out of the trace (a span each, per token, otherwise). (One
    tracer provider per process: this api's spans reach the module's exporter; its own, unused, is shut down
    with it.)"""
    _, spans, _ = traced
    stores = await fresh_store(request, "postgres")
    settings = api_settings(emulator_url, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9", **stores)
    unused = Exporting(SimpleSpanProcessor(InMemorySpanExporter()), InMemoryMetricReader())
    with serve(create_app(settings, unused)) as url:
        response = await answer_in_a_new_conversation(url, "ttft_ms=0 token_ms=2 tokens=40")
    assert sse_events(response)[-1][0] == "done"
    trace = by_trace(list(spans.get_finished_spans()), response.headers["x-trace-id"])
    redis = [span for span in trace if dict(span.attributes or {}).get("db.system") == "redis"]
    # The limits' checks and settlements (the guest's own and all guests' budget), not 40 writes.
    assert 1 <= len(redis) < 16, [span.name for span in redis]


async def test_model_spans_off_leaves_the_model_out_of_traces_but_not_out_of_the_metrics(
    traced: tuple[str, InMemorySpanExporter, InMemoryMetricReader], emulator_url: str
) -> None:
    url, exporter, reader = traced
    before = sums(reader, "gen_ai.client.token.usage")
    with model_spans(api_settings(emulator_url, TELEMETRY_MODEL_SPANS=False, TELEMETRY_CONTENT=True)):
        async with signed_in(url) as http:
            response = await http.post("/api/chat/events", json=chat("tokens=6")[0])
    usage = next(data for name, data in sse_events(response) if name == "usage")
    spans = by_trace(list(exporter.get_finished_spans()), response.headers["x-trace-id"])
    assert [span.name for span in spans if span.parent is None] == ["POST /api/chat/events"]
    assert not [span for span in spans if "gen_ai.operation.name" in dict(span.attributes or {})]
    assert (
        sums(reader, "gen_ai.client.token.usage").get("output", 0) - before.get("output", 0)
        == usage["completion_tokens"]
    )
    assert model_diagnostics.are_model_diagnostics_enabled()  # as the running app set it, once the block ends


async def test_all_guests_spend_today_is_a_gauge(
    traced: tuple[str, InMemorySpanExporter, InMemoryMetricReader], emulator_url: str, postgres: Any
) -> None:
    """chat.guests.tokens.today: what all guests together have used today, against GUEST_TOKENS_PER_DAY_TOTAL
    (a fresh Redis: no other test's guests in it). One meter provider per process, as for spans above."""
    _, _, metrics = traced
    with restartable_redis() as redis:
        stores = {"DATABASE_URL": await postgres.new(), "REDIS_URL": redis.url}
        settings = api_settings(emulator_url, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9", **stores)
        unused = Exporting(SimpleSpanProcessor(InMemorySpanExporter()), InMemoryMetricReader())
        with serve(create_app(settings, unused)) as url:
            response = await answer_in_a_new_conversation(url, "ttft_ms=0 token_ms=0 tokens=5")
            usage = next(data for event, data in sse_events(response) if event == "usage")
            spent = usage["prompt_tokens"] + usage["completion_tokens"]
            await eventually(
                lambda: sums(metrics, "chat.guests.tokens.today").get("") == spent, what=f"the gauge at {spent}"
            )
