"""One api worker on loopback for the side-by-side benchmarks: Postgres, Redis and the emulator beside it, the
api's own gunicorn with one worker (the image's gunicorn.conf.py), a guest signed in; one answer timed; a
worker's own CPU."""

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from harness.client import guest_token
from harness.processes import HOST, ROOT, cpu_seconds, free_port, process_tree, wait_ready
from harness.stack import KEY, api_environment
from harness.stores import fresh_work, migrated_stores


def cpu_ns(pid: int) -> int:
    """On-CPU time of every thread of `pid` so far (the scheduler's, in ns)."""
    tasks = Path(f"/proc/{pid}/task")
    return sum(int((task / "schedstat").read_text().split()[0]) for task in tasks.iterdir())


def worker_of(master: subprocess.Popen[bytes], within: float = 30) -> int:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        workers = process_tree(master.pid)[1:]
        if workers:
            return workers[0]
        time.sleep(0.1)
    raise SystemExit("the api's worker did not start")


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:  # by PID: only what this script started
        process.terminate()
    for process in processes:
        process.wait(timeout=40)


@dataclass(frozen=True)
class WorkerApi:
    port: int
    worker: int  # the worker's pid, for its CPU
    token: str  # a guest's access token
    ready_s: float = 0.0  # from gunicorn's start to the first /api/readyz that answers 200
    ready_cpu_s: float = 0.0  # the CPU time gunicorn and its worker spent until then (stretched far less by load)
    emulator: int = 0  # the emulator's pid


@contextmanager
def one_worker_api(
    checkout: Path = ROOT,
    venv: Path | None = None,
    settings: dict[str, str] | None = None,
    emulator_port: int | None = None,
) -> Iterator[WorkerApi]:
    """`venv`: the api's environment (its own `.venv` by default). `settings`: more environment for the api (its
    own settings) and the emulator (EMULATOR_*). `emulator_port`: where the emulator listens (a free port if
    None)."""
    api_dir = checkout / "services/api"
    venv = venv or api_dir / ".venv"
    work = fresh_work()
    with ExitStack() as stack:
        stores = stack.enter_context(migrated_stores(work, checkout))
        emulator_port, api_port = emulator_port or free_port(), free_port()
        log = (work / "processes.log").open("wb")
        started: list[subprocess.Popen[bytes]] = []
        stack.callback(stop, started)
        started.append(subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "emulator", "--host", HOST, "--port", str(emulator_port)],
            env={**os.environ, "EMULATOR_API_KEY": KEY, "EMULATOR_LOG_LEVEL": "WARNING", **(settings or {})},
            stdout=log, stderr=log,
        ))  # fmt: skip
        began = time.perf_counter()
        api = subprocess.Popen(  # noqa: S603 - the api's own gunicorn, configured as in its image
            [str(venv / "bin/gunicorn"), "-c", "gunicorn.conf.py", "chat_api.main:create_app()"],
            cwd=api_dir, env=api_environment(emulator_port, 1, stores | (settings or {})) | {"APP_PORT": str(api_port)},
            stdout=log, stderr=log,
        )  # fmt: skip
        started.append(api)
        wait_ready(f"http://{HOST}:{emulator_port}/healthz")
        wait_ready(f"http://{HOST}:{api_port}/api/readyz", within=120)
        ready_s = time.perf_counter() - began
        ready_cpu_s = cpu_seconds(process_tree(api.pid))
        token = guest_token(api_port)
        if token is None:
            raise SystemExit("this api has no accounts")
        yield WorkerApi(api_port, worker_of(api), token, ready_s, ready_cpu_s, started[0].pid)


def time_to_first_token(port: int, token: str, path: str, body: object) -> float:
    """POSTs `body` as JSON to `path` (an SSE route), reads the answer to its end; the time to its first `delta`
    (s). Not the first body byte: the conversation route sends `start` before the model's first token."""
    request = urllib.request.Request(
        f"http://{HOST}:{port}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback, our own api
        for line in response:
            if line.startswith(b"event: delta"):
                break
        else:
            raise AssertionError(f"{path} answered without a delta")
        first = time.perf_counter() - started
        response.read()
    return first
