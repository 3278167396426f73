"""Garbage collector pauses in an api worker: how long a full collection stops every stream on the worker, with
the app loaded and its services open, before and after start-up's objects are frozen (`chat_api.server.heap`).
A full pass comes whenever enough objects have outlived two younger passes: under load, every few seconds.
In-process, no network; bounded (a few seconds).

    uv run --project bench python bench/gc_pause.py      (make bench runs it)
"""

import argparse
import asyncio
import gc
import json
import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from chat_api.main import create_app
from chat_api.server.heap import freeze_startup_objects
from chat_api.settings import Settings

from harness.processes import ROOT

PASSES = 7


def full_passes_ms() -> dict[str, float | int]:
    pauses = []
    for _ in range(PASSES):
        started = time.perf_counter()
        gc.collect()
        pauses.append((time.perf_counter() - started) * 1000)
    return {
        "objects_walked": len(gc.get_objects()),
        "full_pass_ms_p50": round(statistics.median(pauses), 2),
        "full_pass_ms_max": round(max(pauses), 2),
    }


async def measure() -> dict[str, object]:
    settings = Settings.model_validate(
        {
            "AZURE_OPENAI_ENDPOINT": "http://127.0.0.1:9",
            "AZURE_OPENAI_DEPLOYMENT": "chat",
            "AZURE_OPENAI_API_KEY": "bench",
            "SQLITE_PATH": str(Path(tempfile.mkdtemp(prefix="gc-pause-")) / "chat.db"),
            "LOG_LEVEL": "WARNING",
        }
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):  # the services open, as in a worker that has started
        before = full_passes_ms()
        freeze_startup_objects()
        after = full_passes_ms()
    return {"as_loaded": before, "startup_frozen": after}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/gc-pause.json")
    args = parser.parse_args()
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}",
        **asyncio.run(measure()),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
