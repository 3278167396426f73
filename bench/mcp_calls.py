"""What an MCP call costs the api, and what users' sessions weigh (issue 32's targets):

- a call's api time: the same trivial tool (`echo`, on a FastMCP server in a process of its own, Streamable
  HTTP on loopback) called through the bare SDK session (the server's own time and the transport's) and through
  the api's path (the kernel function with the bounds filter, the user's session found, a token signed for the
  request, the span, the result's text): the difference of the medians is what the api adds. Target: at most
  10 ms (p50).
- memory: 100 users' sessions at once to a per-user (`auth: user`) server, each opened by one call: the
  worker's resident memory before and after, per session.

    uv run --project bench python bench/mcp_calls.py      (about 30 s)
"""

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from chat_api.auth.tokens import Identity
from chat_api.tools.bounds import bounded_calls
from chat_api.tools.context import ToolContext, ToolServices, acting_for
from chat_api.tools.mcp.backoff import Backoff
from chat_api.tools.mcp.config import McpServer, ServerConfig, UserAuth
from chat_api.tools.mcp.hub import McpTools
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from semantic_kernel import Kernel
from semantic_kernel.filters.filter_types import FilterTypes
from semantic_kernel.functions import KernelArguments

from harness.processes import HOST, ROOT, free_port
from harness.statistics import percentile

SECRET = "a-bench-secret-of-more-than-thirty-two-characters"  # noqa: S105 - a loopback benchmark's
SESSIONS = 100


def serve(port: int) -> None:
    """The server's process: one `echo` tool, read-only, no work of its own."""
    from mcp.server.fastmcp import FastMCP
    from mcp.types import ToolAnnotations

    server = FastMCP("bench", host=HOST, port=port, log_level="WARNING")

    @server.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def echo(text: str) -> str:
        """Says it back."""
        return text

    server.run("streamable-http")


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def wait_for(url: str) -> None:
    for _ in range(300):
        try:
            async with streamable_http_client(url) as (read, write, _), ClientSession(read, write) as session:
                await session.initialize()
                return
        except Exception:
            await asyncio.sleep(0.05)
    raise RuntimeError("the bench MCP server did not start")


async def bare_calls(url: str, rounds: int) -> list[float]:
    async with streamable_http_client(url) as (read, write, _), ClientSession(read, write) as session:
        await session.initialize()
        await session.list_tools()
        timings = []
        for index in range(rounds):
            started = time.perf_counter()
            await session.call_tool("echo", {"text": f"hello {index}"})
            timings.append(time.perf_counter() - started)
        return timings


def identity() -> Identity:
    return Identity(user_id=uuid.uuid4(), guest=True, session_id=uuid.uuid4(), epoch=0)


async def api_calls(mcp: McpTools, rounds: int) -> list[float]:
    kernel = Kernel()
    kernel.add_filter(FilterTypes.FUNCTION_INVOCATION, bounded_calls(2000))
    function = mcp.plugins["bench"].functions["echo"]
    user = identity()
    timings = []
    with acting_for(ToolContext(user, None, cast(ToolServices, None))):
        for index in range(rounds):
            started = time.perf_counter()
            result = await function.invoke(kernel, KernelArguments(text=f"hello {index}"))
            timings.append(time.perf_counter() - started)
            assert result is not None and result.value == f"hello {index}"
    return timings


async def sessions_memory(mcp: McpTools, count: int) -> dict[str, Any]:
    function = mcp.plugins["bench"].functions["echo"]
    kernel = Kernel()
    before = rss_kib()

    async def one() -> None:
        with acting_for(ToolContext(identity(), None, cast(ToolServices, None))):
            await function.invoke(kernel, KernelArguments(text="hi"))

    for _ in range(count // 10):  # opened ten at a time, all held open together at the end
        await asyncio.gather(*(one() for _ in range(10)))
    after = rss_kib()
    open_sessions = sum(status.sessions for status in mcp.status())
    return {"sessions": open_sessions, "rss_before_kib": before, "rss_after_kib": after,
            "per_session_kib": round((after - before) / count, 1)}  # fmt: skip


async def measure(url: str, rounds: int) -> dict[str, Any]:
    await wait_for(url)
    auth = UserAuth(mode="user", secret_env="BENCH")  # noqa: S106 - the variable's name, not a secret
    server = McpServer(ServerConfig(name="bench", url=url, auth=auth, timeout_s=30, connect_timeout_s=30), SECRET)
    mcp = McpTools([server], Backoff(1, 60), idle_s=600, content_in_spans=False)
    mcp.start()
    try:
        for _ in range(200):
            if "bench" in mcp.plugins:
                break
            await asyncio.sleep(0.05)
        await bare_calls(url, 20)  # warm both paths
        await api_calls(mcp, 20)
        bare, api = [], []
        for _ in range(5):  # interleaved, so both meet the same moments of the machine
            bare += await bare_calls(url, rounds // 5)
            api += await api_calls(mcp, rounds // 5)
        memory = await sessions_memory(mcp, SESSIONS)
    finally:
        await mcp.aclose()
    bare_p50, api_p50 = percentile(bare, 0.5), percentile(api, 0.5)
    assert bare_p50 is not None and api_p50 is not None
    return {
        "rounds": rounds,
        "bare_sdk_ms": {"p50": round(bare_p50 * 1000, 2), "p90": round((percentile(bare, 0.9) or 0) * 1000, 2)},
        "api_path_ms": {"p50": round(api_p50 * 1000, 2), "p90": round((percentile(api, 0.9) or 0) * 1000, 2)},
        "api_adds_ms_p50": round((api_p50 - bare_p50) * 1000, 2),
        "target_ms_p50": 10,
        "memory": memory,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=500, help="calls of each kind")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "mcp-calls.json")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])  # noqa: S603 - our own script
    try:
        result = asyncio.run(measure(f"http://{HOST}:{port}/mcp", args.rounds))
    finally:
        server.terminate()
        server.wait(timeout=10)
    result |= {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}",
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
