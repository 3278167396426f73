"""The product's stack as processes on loopback: the emulator, the api under its own gunicorn configuration,
Debian's nginx with the product's template (limits out of the way), and optionally an OTLP receiver."""

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import IO

from harness.processes import HOST, ROOT, free_port, process_tree, wait_ready

KEY = "bench-key"
SYSTEM_PROMPT = "You are a helpful assistant."


def render_nginx(
    work: Path, nginx_port: int, api_ports: list[int], checkout: Path = ROOT, ui_port: int | None = None
) -> Path:
    """The product's nginx.conf and template, rendered for loopback, with limits out of the benchmark's way.
    `ui_port`: where the UI's static files are served (none: nginx answers 502 outside /api)."""
    for folder in ("client_temp", "proxy_temp", "fastcgi_temp", "uwsgi_temp", "scgi_temp"):
        (work / folder).mkdir(parents=True, exist_ok=True)
        (work / folder).chmod(0o777)
    main = (checkout / "nginx/nginx.conf").read_text()
    # The image writes its pid and temp files under /tmp; here they go to the work folder.
    main = main.replace("/tmp/", f"{work}/")  # noqa: S108 - replacing the path, not using it
    main = main.replace("include /etc/nginx/conf.d/*.conf;", f"include {work}/default.conf;")
    site = Template((checkout / "nginx/templates/default.conf.template").read_text()).safe_substitute(
        NGINX_CHAT_RATE="1000000r/s",
        NGINX_CHAT_BURST="1000000",
        NGINX_AUTH_RATE="1000000r/s",
        NGINX_AUTH_BURST="1000000",
        NGINX_STREAMS_PER_CLIENT="60000",
        NGINX_MAX_BODY_SIZE="1m",
        NGINX_MAX_UPLOAD_SIZE="21m",
        NGINX_API_READ_TIMEOUT="300s",
        NGINX_RESOLVER="127.0.0.1",
        NGINX_REAL_IP_FROM="unix:",  # no proxy in front: as compose has it
        # One `server` line per replica (the template has one, for compose's name that resolves to them all).
        NGINX_API_SERVER=" resolve max_fails=0;\n    server ".join(f"{HOST}:{port}" for port in api_ports),
        NGINX_API_UPSTREAM=f"http://{HOST}:{api_ports[0]}",  # (the name of that setting before upstream keepalive)
        NGINX_UI_UPSTREAM=f"http://{HOST}:{ui_port or 9}",
    )
    site = site.replace("listen 8080;", f"listen {HOST}:{nginx_port};")
    # Debian bookworm's nginx (1.22) predates `resolve` (1.27.3); an address on loopback needs no lookup anyway.
    site = re.sub(r"(\n\s*server \S+) resolve\b", r"\1", site)
    site = site.replace("access_log /dev/stdout json;", f"access_log {work}/access.log json;")
    (work / "default.conf").write_text(site)
    (work / "nginx.conf").write_text(main)
    return work / "nginx.conf"


@dataclass
class Stack:
    emulator: subprocess.Popen[bytes]
    api: subprocess.Popen[bytes]  # the first replica (ports["api"])
    nginx: subprocess.Popen[bytes]
    ports: dict[str, int]
    collector: subprocess.Popen[bytes] | None = None
    replicas: list[subprocess.Popen[bytes]] = field(default_factory=list)  # every api replica, the first too

    def api_pids(self) -> list[int]:
        """Every replica's gunicorn master and workers."""
        return [pid for replica in self.replicas or [self.api] for pid in process_tree(replica.pid)]

    def api_workers(self) -> list[int]:
        return [pid for replica in self.replicas or [self.api] for pid in process_tree(replica.pid)[1:]]


def api_environment(emulator_port: int, workers: int, extra: dict[str, str]) -> dict[str, str]:
    """The api's environment here: the emulator as its model, and one guest whose limits never refuse (every
    message is sent by that guest: its limits are checked, so their cost is measured). `extra`: where it
    stores (SQLITE_PATH, or DATABASE_URL and REDIS_URL). APP_PORT is the caller's."""
    return {
        **os.environ,
        "AZURE_OPENAI_ENDPOINT": f"http://{HOST}:{emulator_port}",
        "AZURE_OPENAI_DEPLOYMENT": "chat",
        "AZURE_OPENAI_API_KEY": KEY,
        "SYSTEM_PROMPT": SYSTEM_PROMPT,
        "APP_HOST": HOST,
        "WEB_CONCURRENCY": str(workers),
        "LOG_LEVEL": "INFO",  # as in production: one JSON line per request
        "AUTH_SECRET": "a-benchmark-signing-secret-of-forty-chars",
        "GUEST_REQUESTS_PER_MINUTE": "100000000",
        "GUEST_CONCURRENT_STREAMS": "100000",
        "GUEST_TOKENS_PER_DAY": "100000000000",
        "CONVERSATIONS_CREATED_PER_MINUTE": "100000000",  # route_cost.py starts hundreds, one per answer
        **extra,
    }


def otlp_receiver(port: int, checkout: Path, log: IO[bytes]) -> subprocess.Popen[bytes]:
    """The e2e tests' OTLP receiver, in the api's interpreter: it decodes each export and keeps only its size."""
    return subprocess.Popen(  # noqa: S603 - our own script, in the api's interpreter
        [str(checkout / "services/api/.venv/bin/python"), str(ROOT / "tests/e2e/otlp_sink/sink.py"), "--host", HOST,
         "--port", str(port), "--count-only"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def exporting_to(collector_port: int) -> dict[str, str]:
    """The api's telemetry on, exporting to the receiver at `collector_port`."""
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{HOST}:{collector_port}",
        "OTEL_METRIC_EXPORT_INTERVAL": "10000",  # as compose sets it
    }


@contextmanager
def running_stack(
    work: Path,
    workers: int,
    checkout: Path = ROOT,
    stores: dict[str, str] | None = None,
    telemetry: bool = False,
    replicas: int = 1,
    settings: dict[str, str] | None = None,
    ui_port: int | None = None,
) -> Iterator[Stack]:
    """`stores`: the api's DATABASE_URL and REDIS_URL (the conversation route), else an SQLite file.
    `telemetry`: the api exports traces and metrics over OTLP/HTTP to a receiver on loopback (the e2e tests'
    sink, which decodes each export and keeps only its size). `replicas`: api processes (gunicorn masters,
    `workers` each) that nginx balances over, as compose's replicas; the stores are then required. `settings`:
    more environment for the emulator and the api (EMULATOR_* and the api's own). `ui_port`: the UI's files."""
    ports = {name: free_port() for name in ("emulator", "api", "nginx", "collector")}
    replica_ports = [ports["api"], *(free_port() for _ in range(replicas - 1))]
    logs = {name: (work / f"{name}.log").open("wb") for name in ports}
    api_dir = checkout / "services/api"
    env = {**os.environ, "EMULATOR_API_KEY": KEY, "EMULATOR_LOG_LEVEL": "WARNING", **(settings or {})}
    emulator = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "emulator", "--host", HOST, "--port", str(ports["emulator"])],
        env=env, stdout=logs["emulator"], stderr=subprocess.STDOUT,
    )  # fmt: skip
    # The stateless routes touch no database; sign-in does.
    api_env = api_environment(
        ports["emulator"], workers, {"SQLITE_PATH": str(work / "chat.db"), **(stores or {}), **(settings or {})}
    )
    api_env["APP_PORT"] = str(ports["api"])
    collector = None
    if telemetry:
        collector = otlp_receiver(ports["collector"], checkout, logs["collector"])
        api_env |= exporting_to(ports["collector"])
    apis = [
        subprocess.Popen(  # noqa: S603 - the api's own gunicorn, configured as in its image
            [str(api_dir / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "chat_api.main:create_app()"],
            cwd=api_dir, env=api_env | {"APP_PORT": str(port)}, stdout=logs["api"], stderr=subprocess.STDOUT,
        )
        for port in replica_ports
    ]  # fmt: skip
    config = render_nginx(work / "nginx", ports["nginx"], replica_ports, checkout, ui_port)
    nginx = subprocess.Popen(  # noqa: S603 - Debian's nginx with the product's configuration
        [shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(config), "-p", str(config.parent), "-g", "daemon off;"],
        stdout=logs["nginx"], stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_ready(f"http://{HOST}:{ports['emulator']}/healthz")
        for port in replica_ports:
            wait_ready(f"http://{HOST}:{port}/api/readyz")
        wait_ready(f"http://{HOST}:{ports['nginx']}/nginx-health")
        yield Stack(emulator, apis[0], nginx, ports, collector, apis)
    finally:
        started = [process for process in (nginx, *apis, emulator, collector) if process is not None]
        for process in started:  # by PID: only what this script started
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
