"""The app around the stream: health, OpenAPI, start-up configuration, logging, CORS."""

import gc
import json
import logging
import os
import re
import runpy
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulator.testing import eventually, serve

from chat_api.logs import configure_logging
from chat_api.main import create_app
from chat_api.server.uvicorn_server import ChatServer
from chat_api.server.worker import ChatWorker
from chat_api.settings import get_settings

from .conftest import API_KEY, ApiFactory, api_settings, chat, signed_in

GUNICORN_CONF = Path(__file__).parents[1] / "gunicorn.conf.py"


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/healthz")).json() == {"status": "ok"}
    assert (await client.get("/api/readyz")).json() == {"status": "ready"}


async def test_openapi_documents_the_streams_and_the_envelope(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/api/openapi.json")).json()
    stream = schema["paths"]["/api/chat/stream"]["post"]
    events = schema["paths"]["/api/chat/events"]["post"]
    assert list(stream["responses"]["200"]["content"]) == ["text/plain"]
    assert list(events["responses"]["200"]["content"]) == ["text/event-stream"]
    for status in ("400", "413", "415", "422", "429", "502", "504"):
        ref = events["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ErrorEnvelope")
    each_event = events["responses"]["200"]["content"]["text/event-stream"]["schema"]["oneOf"]
    assert [e["properties"]["event"]["const"] for e in each_event] == ["start", "delta", "usage", "done", "error"]
    assert stream["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/ChatRequest")
    assert API_KEY not in json.dumps(schema)


async def test_openapi_carries_the_configured_limits(client: httpx.AsyncClient) -> None:
    models = (await client.get("/api/openapi.json")).json()["components"]["schemas"]
    message, history = models["ChatRequest"]["properties"]["message"], models["ChatRequest"]["properties"]["history"]
    assert message["maxLength"] == 2000 and "maxItems" not in history  # a long history is fitted, not refused
    assert "`context_window` in GET /api/models" in history["description"]  # learnt at start, so not here
    assert re.search(message["pattern"], "hi") and not re.search(message["pattern"], " \t ")
    assert not re.search(message["pattern"], "a\x00b")
    blanks = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    assert not [c for c in blanks if re.search(message["pattern"], f" {c}")]
    assert re.search(message["pattern"], "\u200b")  # zero-width space: not white space to str.isspace()
    assert not re.search(models["Message"]["properties"]["content"]["pattern"], "\x00")
    max_tokens = models["Options"]["properties"]["max_tokens"]["anyOf"]
    assert {"type": "integer", "minimum": 1, "maximum": 4096} in max_tokens


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[dict[str, str]], None]]:
    """Replace the api's variables in the environment; settings are read afresh, and again after the test."""

    def use(env: dict[str, str]) -> None:
        for name in os.environ:
            if name.startswith(("AZURE_", "OPENAI_", "MODEL_", "APP_", "LOG_", "WEB_", "GRACEFUL_")):
                monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


VALID = {"AZURE_OPENAI_ENDPOINT": "http://x", "AZURE_OPENAI_DEPLOYMENT": "chat"}


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"AZURE_OPENAI_DEPLOYMENT": "chat"},
            "configuration error: AZURE_OPENAI_ENDPOINT: Field required (MODEL_PROVIDER is azure)",
        ),
        (
            {"MODEL_PROVIDER": "openai", "OPENAI_BASE_URL": "http://localhost:11434/v1"},
            "configuration error: OPENAI_MODEL: Field required (MODEL_PROVIDER is openai)",
        ),
        (
            {**VALID, "MODEL_PROVIDER": "ollama"},
            "configuration error: MODEL_PROVIDER: Input should be 'azure' or 'openai'",
        ),
        (
            {"AZURE_OPENAI_ENDPOINT": "not a url", "AZURE_OPENAI_DEPLOYMENT": "chat"},
            "configuration error: AZURE_OPENAI_ENDPOINT: Input should be a valid URL, relative URL without a base",
        ),
        (
            {**VALID, "APP_PORT": "http"},
            "configuration error: APP_PORT: Input should be a valid integer, unable to parse string as an integer",
        ),
    ],
)
def test_a_bad_setting_stops_start_up_with_one_line_naming_it(
    env: dict[str, str], line: str, environment: Callable[[dict[str, str]], None], capsys: pytest.CaptureFixture[str]
) -> None:
    environment({**env, "AZURE_OPENAI_API_KEY": "secret-value-123"})
    with pytest.raises(SystemExit) as stopped:
        create_app()
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines() == [line]


def test_compose_passes_the_other_providers_variables_empty(environment: Callable[[dict[str, str]], None]) -> None:
    environment({**VALID, "OPENAI_BASE_URL": "", "OPENAI_API_KEY": "", "OPENAI_MODEL": ""})
    settings = get_settings()
    assert (settings.MODEL_PROVIDER, settings.model, settings.upstream_address) == ("azure", "chat", "x")
    environment({"MODEL_PROVIDER": "openai", "OPENAI_MODEL": "llama3.2", "OPENAI_BASE_URL": "http://ollama:11434/v1"})
    settings = get_settings()
    assert (settings.model, settings.upstream_address, settings.uses_entra_id) == ("llama3.2", "ollama:11434", False)


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("WEB_CONCURRENCY", "two", "Input should be a valid integer, unable to parse string as an integer"),
        ("WEB_CONCURRENCY", "-1", "Input should be greater than or equal to 0"),
        ("GRACEFUL_TIMEOUT_S", "30s", "Input should be a valid integer, unable to parse string as an integer"),
    ],
)
def test_gunicorns_own_settings_are_checked_the_same_way(
    name: str,
    value: str,
    reason: str,
    environment: Callable[[dict[str, str]], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    environment({**VALID, name: value})
    with pytest.raises(SystemExit) as stopped:
        runpy.run_path(str(GUNICORN_CONF))
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines() == [f"configuration error: {name}: {reason}"]


def test_gunicorn_takes_its_sizes_from_the_settings(environment: Callable[[dict[str, str]], None]) -> None:
    environment({**VALID, "WEB_CONCURRENCY": "3", "GRACEFUL_TIMEOUT_S": "12"})
    conf = runpy.run_path(str(GUNICORN_CONF))
    assert (conf["workers"], conf["graceful_timeout"]) == (3, 12)
    assert conf["worker_class"] == f"{ChatWorker.__module__}.{ChatWorker.__name__}"


@pytest.mark.parametrize(("cores", "replicas", "workers"), [(2, 2, 1), (8, 2, 4), (3, 2, 1), (1, 3, 1), (4, 1, 4)])
def test_unset_workers_share_the_machine_among_the_replicas(
    cores: int,
    replicas: int,
    workers: int,
    environment: Callable[[dict[str, str]], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: set(range(cores)))
    environment({**VALID, "WEB_CONCURRENCY": "0", "API_REPLICAS": str(replicas)})
    assert runpy.run_path(str(GUNICORN_CONF))["workers"] == workers


def collected(thing: object) -> bool:
    return any(tracked is thing for tracked in gc.get_objects())


def test_what_the_server_built_at_start_up_is_left_out_of_later_collections(emulator_url: str) -> None:
    """A full collection walks every object the process holds (the app loaded: ~150 ms without a stream moving)."""
    built_before = [create_app(api_settings(emulator_url))]
    assert collected(built_before)
    with serve(built_before[0], server_class=ChatServer):
        deadline = time.monotonic() + 2  # `serve` returns once the server says it has started, a moment before
        while collected(built_before) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not collected(built_before)
        assert collected([])


def test_gunicorns_master_leaves_the_preloaded_app_out_of_collections_before_it_forks(
    environment: Callable[[dict[str, str]], None],
) -> None:
    environment(VALID)
    conf = runpy.run_path(str(GUNICORN_CONF))
    loaded = [object()]
    conf["when_ready"](None)
    assert not collected(loaded)


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """Request it before `capsys`: logging is set up again on the real stdout once capture has ended."""
    yield
    configure_logging("INFO")


async def test_no_upstream_address_in_any_log_line_even_at_debug(
    api_server: ApiFactory, emulator_url: str, logging_restored: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The HTTP stack under the SDK logs the host and port it connects to at DEBUG (httpcore2 did)."""
    port = emulator_url.rsplit(":", 1)[1]
    with api_server(LOG_LEVEL="DEBUG") as url:
        assert logging.getLogger().isEnabledFor(logging.DEBUG)
        async with signed_in(url) as http:
            for route in ("/api/chat/events", "/api/chat/stream"):
                assert (await http.post(route, json=chat("tokens=3")[0])).status_code == 200
            failed = await http.post("/api/chat/events", json=chat("fault=500")[0])
            assert failed.status_code == 502
    out = capsys.readouterr().out
    assert not re.search(rf"(?<!\d){port}(?!\d)", out)
    assert emulator_url.removeprefix("http://") not in out


async def test_one_json_log_line_per_request_with_id_and_no_key(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    body, _ = chat("tokens=5")

    def line(request_id: str) -> dict[str, Any] | None:
        found = [getattr(r, "fields", {}) for r in caplog.records if r.name == "chat_api.access"]
        return next((fields for fields in found if fields.get("request_id") == request_id), None)

    with caplog.at_level(logging.INFO, logger="chat_api.access"):
        response = await client.post("/api/chat/events", json=body, headers={"X-Request-ID": "log-test-1"})
        headers = {"content-type": "text/plain", "X-Request-ID": "log-test-2"}
        await client.post("/api/chat/stream", json={"message": "hi"}, headers=headers)
        # The line is written as the server finishes the request, which may be just after the client has it all.
        streamed = await eventually(lambda: line("log-test-1"), what="the stream's log line")
        rejected = await eventually(lambda: line("log-test-2"), what="the 415's log line")
    lines = [streamed, rejected]
    assert response.status_code == 200
    assert streamed["request_id"] == "log-test-1" and streamed["status"] == 200
    assert streamed["route"] == "/api/chat/events" and streamed["finish_reason"] == "stop"
    assert streamed["chunks"] == 5 and streamed["completion_tokens"] == 5 and streamed["prompt_tokens"] > 0
    assert streamed["ttft_ms"] <= streamed["duration_ms"] and streamed["client_disconnected"] is False
    assert "message_text" not in streamed  # message text is logged only when LOG_MESSAGE_TEXT is on
    assert rejected["status"] == 415
    assert all(API_KEY not in json.dumps(fields) for fields in lines)


async def test_a_sane_request_id_is_kept_and_any_other_replaced(client: httpx.AsyncClient) -> None:
    kept = await client.get("/api/healthz", headers={"X-Request-ID": "abc-123_x.y:z"})
    assert kept.headers["x-request-id"] == "abc-123_x.y:z"
    replaced = await client.get("/api/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert replaced.headers["x-request-id"] != "bad id <script>" and len(replaced.headers["x-request-id"]) == 32


async def test_cors_is_closed_by_default_and_opens_to_an_allow_list(
    client: httpx.AsyncClient, api_server: ApiFactory
) -> None:
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    closed = await client.options("/api/chat/stream", headers=preflight)
    assert "access-control-allow-origin" not in closed.headers
    with api_server(CORS_ALLOW_ORIGINS="https://chat.example, https://admin.example") as url:
        async with signed_in(url) as http:
            allowed = await http.options("/api/chat/stream", headers={**preflight, "Origin": "https://chat.example"})
            denied = await http.options("/api/chat/stream", headers=preflight)
    assert allowed.headers["access-control-allow-origin"] == "https://chat.example"
    assert "access-control-allow-origin" not in denied.headers


async def test_an_http_endpoint_in_the_environment_is_accepted(
    emulator_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Semantic Kernel validates AZURE_OPENAI_ENDPOINT from the environment itself and wants https; a local
    gateway (or the emulator) is http. Found by running the container: in-process tests never set the variable."""
    from chat_api.chat.upstream import open_upstream

    from .conftest import api_settings

    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", emulator_url)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", API_KEY)
    async with open_upstream(api_settings(emulator_url)) as upstream:
        assert upstream.model == "chat"
    assert os.environ["AZURE_OPENAI_ENDPOINT"] == emulator_url  # restored for everyone else
