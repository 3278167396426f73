"""W3C trace context through nginx: a client's `traceparent` reaches the api as it was sent; without one,
nginx starts the trace with its own request id as the trace id. Either way nginx's access log line names the
trace (`trace_id`), so it leads to the api's spans and log lines when telemetry is on."""

import json
import re
import time
import uuid

from .support import exchange, needs_compose, service_logs

pytestmark = needs_compose


def nginx_line(request_id: str) -> dict[str, object]:
    for _ in range(40):
        for line in service_logs("nginx").splitlines():
            if f'"request_id":"{request_id}"' in line:
                found: dict[str, object] = json.loads(line)
                return found
        time.sleep(0.25)
    raise AssertionError(f"no nginx log line for {request_id}")


def test_a_clients_traceparent_names_the_trace_in_nginxs_log() -> None:
    trace_id, request_id = uuid.uuid4().hex, f"trace-{uuid.uuid4().hex[:12]}"
    headers = {"traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01", "X-Request-ID": request_id}
    assert exchange("GET", "/api/healthz", headers=headers, signed_in=False).status == 200
    assert nginx_line(request_id)["trace_id"] == trace_id


def test_without_one_nginx_starts_the_trace() -> None:
    request_id = f"trace-{uuid.uuid4().hex[:12]}"
    assert exchange("GET", "/api/healthz", headers={"X-Request-ID": request_id}, signed_in=False).status == 200
    assert re.fullmatch(r"[0-9a-f]{32}", str(nginx_line(request_id)["trace_id"]))
    malformed = f"trace-{uuid.uuid4().hex[:12]}"
    headers = {"traceparent": "00-not-a-trace", "X-Request-ID": malformed}
    assert exchange("GET", "/api/healthz", headers=headers, signed_in=False).status == 200
    assert re.fullmatch(r"[0-9a-f]{32}", str(nginx_line(malformed)["trace_id"]))  # replaced, not passed on
