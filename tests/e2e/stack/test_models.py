"""The model's capabilities in the real stack: `GET /api/models` through nginx (the product's api, Azure's
protocol) and on the OpenAI-route api (tests/e2e/compose.e2e.yaml), with the window the stack configures; an
option the model does not take refused through nginx in the envelope before any upstream call; and the usage
event's reasoning tokens (none, for the stack's model, which does not reason), with what the emulator was sent.
The reasoning deployment itself, the window learnt from each server and the refitted retry are proved at the
api level (services/api/tests/test_models.py), against emulators configured as those servers."""

import os

import httpx

from .support import (
    assert_envelope,
    assert_no_leak,
    compose,
    exchange,
    needs_compose,
    new_tag,
    post_json,
    upstream_end,
    upstream_records,
)

pytestmark = needs_compose

CONFIGURED_WINDOW = os.environ.get("CONTEXT_WINDOW_TOKENS")  # scripts/e2e.sh sets one; unset: the fallback
FALLBACK_WINDOW = 128_000


def expected_window() -> int:
    return int(CONFIGURED_WINDOW) if CONFIGURED_WINDOW else FALLBACK_WINDOW


def openai_api_url() -> str:
    return "http://" + compose("port", "api-openai", "8000").strip().splitlines()[0]


def test_models_through_nginx_says_what_the_model_takes() -> None:
    reply = exchange("GET", "/api/models")
    assert reply.status == 200, reply.body[:300]
    model, mini = reply.json()["models"]  # the e2e stack configures two (compose.e2e.yaml's MODELS)
    assert (model["id"], model["provider"], model["reasoning"], model["default"]) == ("chat", "azure", False, True)
    assert (mini["id"], mini["label"], mini["default"]) == ("chat-mini", "Chat mini", False)
    assert model["options"] == ["max_tokens", "temperature", "top_p"] and model["reasoning_efforts"] == []
    assert model["context_window"] == expected_window()
    assert_no_leak(reply.body.decode())
    assert exchange("GET", "/api/models", signed_in=False).status == 401


def test_the_openai_route_api_reports_its_model() -> None:
    with httpx.Client(base_url=openai_api_url(), timeout=30) as http:
        session = http.post("/api/auth/guest")
        assert session.status_code == 201, session.text
        http.headers["Authorization"] = f"Bearer {session.json()['access_token']}"
        (model,) = http.get("/api/models").json()["models"]
    assert (model["id"], model["provider"], model["reasoning"]) == ("chat", "openai", False)
    assert model["context_window"] == expected_window()


def test_an_option_the_model_does_not_take_is_refused_before_the_upstream() -> None:
    tag = new_tag()
    body = {"message": f"Effort\n@emulator tokens=3 tag={tag}", "options": {"reasoning_effort": "high"}}
    reply = post_json("/api/chat/events", body)
    error = assert_envelope(reply, 422, "invalid_request")
    assert error["message"].startswith("options.reasoning_effort:")
    assert upstream_records(tag) == []


def test_usage_says_the_reasoning_tokens_and_the_model_gets_max_tokens() -> None:
    tag = new_tag()
    body = {"message": f"Usage\n@emulator tokens=4 tag={tag}", "options": {"max_tokens": 64, "temperature": 0.5}}
    reply = post_json("/api/chat/events", body)
    assert reply.status == 200, reply.body[:300]
    usage = dict(reply.events())["usage"]
    assert usage["reasoning_tokens"] == 0 and usage["completion_tokens"] == 4
    options = upstream_end(tag)["options"]
    assert (options.get("max_tokens"), options.get("temperature")) == (64, 0.5)
    assert "max_completion_tokens" not in options and "reasoning_effort" not in options
