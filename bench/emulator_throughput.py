"""Emulator throughput: how many stream chunks per second one emulator process serves at zero delay.

Starts the emulator (`python -m emulator`) pinned to one core, drives it from this process pinned to the
other with a minimal raw-socket HTTP/1.1 client (so the client is not the bottleneck), and reports chunks/s
by wall clock and per CPU-second of the emulator process. Loopback only; bounded by --requests.

    uv run --project bench python bench/emulator_throughput.py      (or: make bench)
"""

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import uvloop

HOST = "127.0.0.1"
API_KEY = "bench-key"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def one_stream(port: int) -> int:
    body = json.dumps(
        {
            "messages": [{"role": "user", "content": "bench"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    ).encode()
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(
        b"POST /openai/deployments/bench/chat/completions?api-version=2024-10-21 HTTP/1.1\r\n"
        + f"Host: {HOST}\r\napi-key: {API_KEY}\r\nContent-Type: application/json\r\n".encode()
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    received = bytearray()
    while chunk := await reader.read(65536):
        received += chunk
    writer.close()
    if b"data: [DONE]" not in received:
        raise RuntimeError("stream did not finish: " + bytes(received[:200]).decode(errors="replace"))
    return received.count(b"data: {")  # every chunk, as the SDK counts them


async def drive(port: int, concurrency: int, requests: int) -> int:
    queue = iter(range(requests))
    total = 0

    async def worker() -> None:
        nonlocal total
        for _ in queue:
            chunks = await one_stream(port)  # not `total += await`: that races
            total += chunks

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total


def wait_ready(port: int) -> None:
    import urllib.request

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("emulator did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--tokens", type=int, default=500, help="content tokens per reply")
    parser.add_argument("--tokens-per-chunk", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/emulator-throughput.json")
    args = parser.parse_args()

    cores = sorted(os.sched_getaffinity(0))
    server_core, client_core = cores[0], cores[-1]
    port = free_port()
    env = {
        **os.environ,
        "EMULATOR_API_KEY": API_KEY,
        "EMULATOR_TTFT_MS": "0",
        "EMULATOR_TOKEN_MS": "0",
        # The reply's length from the operator's setting: a message's directive may ask for 400 tokens at most.
        "EMULATOR_REPLY_TOKENS": str(args.tokens),
        "EMULATOR_TOKENS_PER_CHUNK": str(args.tokens_per_chunk),
        "EMULATOR_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "emulator", "--host", HOST, "--port", str(port)], env=env
    )
    try:
        os.sched_setaffinity(server.pid, {server_core})
        os.sched_setaffinity(0, {client_core})
        wait_ready(port)
        uvloop.run(drive(port, 4, 20))  # warm-up
        cpu_before, client_before, started = cpu_seconds(server.pid), time.process_time(), time.perf_counter()
        chunks = uvloop.run(drive(port, args.concurrency, args.requests))
        wall = time.perf_counter() - started
        server_cpu = cpu_seconds(server.pid) - cpu_before
        client_cpu = time.process_time() - client_before
    finally:
        server.terminate()  # by PID: only the process this script started
        server.wait(timeout=10)

    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "concurrency": args.concurrency,
        "requests": args.requests,
        "tokens_per_reply": args.tokens,
        "tokens_per_chunk": args.tokens_per_chunk,
        "chunks": chunks,
        "wall_s": round(wall, 3),
        "chunks_per_s_wall": round(chunks / wall),
        "emulator_cpu_s": round(server_cpu, 3),
        "chunks_per_emulator_cpu_s": round(chunks / server_cpu),
        "emulator_cpu_us_per_chunk": round(server_cpu / chunks * 1e6, 1),
        "client_cpu_s": round(client_cpu, 3),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
