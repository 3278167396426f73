"""A small OTLP/HTTP receiver for the end-to-end telemetry test: it takes what the api's real exporter sends
(protobuf, as OpenTelemetry's OTLP/HTTP protocol defines it) and shows it back as JSON.

POST /v1/traces, /v1/metrics, /v1/logs: an export, kept in memory. GET /received: everything kept so far.
Runs in the api's image (which has opentelemetry-proto), on the compose network only; not part of the product.
The benchmark runs it too, on loopback, with --count-only (it decodes each export, keeps only counts).

    python sink.py [--host 0.0.0.0] [--port 4318] [--count-only]
"""

import argparse
import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

PORT = 4318
SIGNALS: dict[str, type[Message]] = {
    "/v1/traces": ExportTraceServiceRequest,
    "/v1/metrics": ExportMetricsServiceRequest,
    "/v1/logs": ExportLogsServiceRequest,
}
received: dict[str, list[dict[str, Any]]] = {path.removeprefix("/v1/"): [] for path in SIGNALS}
lock = threading.Lock()
count_only = False


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        kind = SIGNALS.get(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if kind is None:
            self._reply(404, b"{}")
            return
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request = kind()
        request.ParseFromString(body)
        kept = {"bytes": len(body)} if count_only else MessageToDict(request)
        with lock:
            received[self.path.removeprefix("/v1/")].append(kept)
        self._reply(200, kind().SerializeToString(), "application/x-protobuf")  # an empty, full success

    def do_GET(self) -> None:
        if self.path != "/received":
            self._reply(404, b"{}")
            return
        with lock:
            body = json.dumps(received).encode()
        self._reply(200, body)

    def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the test reads what arrived, not a log of it


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="0.0.0.0")  # the compose network; loopback in the bench
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("--count-only", action="store_true")
    args = parser.parse_args()
    count_only = args.count_only
    ThreadingHTTPServer((args.host, args.port), Receiver).serve_forever()
