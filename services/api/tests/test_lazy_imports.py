"""An idle worker loads only what its configuration uses: with no MCP server, telemetry off and no file read yet,
the packages that serve those stay out of its memory (they are imported where first used)."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import API_KEY

# Imported when first used: an MCP server configured, telemetry on (its exporters and instrumentation; redis
# imports part of the SDK itself), a PDF read.
LOADED_WHEN_USED = (
    "mcp",
    "opentelemetry.exporter",
    "opentelemetry.instrumentation.sqlalchemy",
    "google.protobuf",
    "pypdf",
)

STARTED_WORKER = """
import asyncio, json, sys
from chat_api.main import create_app

async def start_and_stop():
    app = create_app()
    async with app.router.lifespan_context(app):
        return sorted(sys.modules)

print(json.dumps(asyncio.run(start_and_stop())))
"""


@pytest.mark.timeout(200)  # a fresh interpreter imports the whole app: seconds on a loaded machine
def test_a_started_worker_has_not_loaded_what_it_does_not_use(emulator_url: str) -> None:
    database = Path(tempfile.mkdtemp(prefix="chat-api-")) / "chat.db"
    environment = {
        "SQLITE_PATH": str(database),
        "AZURE_OPENAI_ENDPOINT": emulator_url,
        "AZURE_OPENAI_DEPLOYMENT": "chat",
        "AZURE_OPENAI_API_KEY": API_KEY,
        "PATH": "/usr/bin:/bin",
    }
    started = subprocess.run(  # noqa: S603 - this interpreter, our own app
        [sys.executable, "-c", STARTED_WORKER],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    assert started.returncode == 0, started.stderr
    modules = json.loads(started.stdout.splitlines()[-1])
    loaded = {
        name for name in LOADED_WHEN_USED for module in modules if module == name or module.startswith(f"{name}.")
    }
    assert loaded == set()
