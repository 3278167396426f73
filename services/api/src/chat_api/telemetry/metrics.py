"""The service's metrics, named and attributed per OpenTelemetry's GenAI semantic conventions where they exist.
Until a meter provider is set (telemetry on), every instrument is OpenTelemetry's no-op."""

from typing import Final

from opentelemetry import metrics

PROVIDER: Final = {"azure": "azure.ai.openai", "openai": "openai"}

_meter = metrics.get_meter("chat_api")
token_usage = _meter.create_histogram(
    "gen_ai.client.token.usage",
    unit="{token}",
    description="Tokens used by each answer, input and output apart (gen_ai.token.type).",
    explicit_bucket_boundaries_advisory=[1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576],
)
operation_duration = _meter.create_histogram(
    "gen_ai.client.operation.duration", unit="s", description="From the request to the model to the answer's end."
)
time_to_first_chunk = _meter.create_histogram(
    "gen_ai.client.operation.time_to_first_chunk", unit="s", description="From the request to the first token."
)
stream_outcomes = _meter.create_counter(
    "chat.stream.outcomes", unit="{stream}", description="How answers end: done, stopped, error, interrupted; resumed."
)
limit_refusals = _meter.create_counter(
    "chat.limit.refusals", unit="{request}", description="Sends refused by a per-user limit, by the limit."
)
guest_tokens_today = _meter.create_gauge(
    "chat.guests.tokens.today",
    unit="{token}",
    description="Tokens all guests together have used today (UTC), running answers' reservations included: "
    "GUEST_TOKENS_PER_DAY_TOTAL is their limit.",
)
feedback_votes = _meter.create_counter(
    "chat.feedback.votes",
    unit="{vote}",
    description="Votes on answers, by model (gen_ai.request.model) and outcome (chat.outcome): up, down, or "
    "withdrawn. A changed vote counts its new rating.",
)
tool_calls = _meter.create_histogram(
    "chat.tool.call.duration",
    unit="s",
    description="Tool calls, by tool (gen_ai.tool.name), where it runs (chat.tool.server: builtin, or an MCP "
    "server's name) and how it ended (chat.tool.status), the user's approval included.",
)
active_streams = _meter.create_up_down_counter(
    "chat.streams.active", unit="{stream}", description="Answers being written now."
)


def answer_ended(
    provider: str,
    model: str,
    outcome: str,
    prompt_tokens: int | None,
    completion_tokens: int | None,
    duration_s: float,
    first_token_s: float | None,
) -> None:
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": PROVIDER.get(provider, provider),
        "gen_ai.request.model": model,
    }
    if prompt_tokens is not None:
        token_usage.record(prompt_tokens, {**attributes, "gen_ai.token.type": "input"})
    if completion_tokens is not None:
        token_usage.record(completion_tokens, {**attributes, "gen_ai.token.type": "output"})
    operation_duration.record(duration_s, attributes)
    if first_token_s is not None:
        time_to_first_chunk.record(first_token_s, attributes)
    stream_outcomes.add(1, {**attributes, "chat.outcome": outcome})


def reader_resumed(model: str | None) -> None:
    """A reader came back to a live answer (Last-Event-ID): the `resumed` outcome, beside how answers end."""
    attributes = {"gen_ai.operation.name": "chat", "chat.outcome": "resumed"}
    if model:
        attributes["gen_ai.request.model"] = model
    stream_outcomes.add(1, attributes)


def feedback_given(model: str, outcome: str) -> None:
    """A vote on an answer: `up`, `down` or `withdrawn`."""
    feedback_votes.add(1, {"gen_ai.request.model": model, "chat.outcome": outcome})


def tool_call_ended(tool: str, server: str, status: str, duration_s: float) -> None:
    tool_calls.record(duration_s, {"gen_ai.tool.name": tool, "chat.tool.server": server, "chat.tool.status": status})
