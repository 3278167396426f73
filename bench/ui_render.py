"""UI render benchmark: does the chat keep the main thread free while a long answer streams in fast?

Serves the built UI (services/ui/dist) with a stand-in /api/chat/events that streams a 5,000-token markdown
answer (headings, lists, code, tables: the emulator's replies, back to back) at 200 tokens/s, drives it in
headless Chromium, and records every main-thread task over 50 ms (the Long Tasks API) and every gap between
animation frames. Loopback only; bounded by the answer's length.

    uv run --project bench python bench/ui_render.py      (after `npm run build` in services/ui)
"""

import argparse
import asyncio
import json
import os
import platform
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from emulator.replies import reply_tokens
from emulator.testing import serve
from playwright.sync_api import sync_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip

# Long tasks from the moment the page loads (each with its start), frame gaps from the moment of sending.
PROBE = """
window.__bench = { sentAt: Infinity, longTasks: [], frameGaps: [] };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__bench.longTasks.push([entry.startTime, entry.duration]);
}).observe({ type: 'longtask', buffered: true });
let last = performance.now();
const frame = (now) => {
  if (now >= window.__bench.sentAt) window.__bench.frameGaps.push(now - last);
  last = now;
  requestAnimationFrame(frame);
};
requestAnimationFrame(frame);
"""


def answer_tokens(count: int) -> list[str]:
    tokens: list[str] = []
    topic = 0
    while len(tokens) < count:
        topic += 1
        question = f"Part {topic}: how streaming renders"
        tokens += [*reply_tokens([question], question), "\n\n"]
    return tokens[:count]


def sse(event: str, data: object) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def make_app(dist: Path, tokens: list[str], rate: float) -> Starlette:
    async def events(request: Request) -> StreamingResponse:
        async def stream() -> AsyncIterator[bytes]:
            yield sse("start", {"request_id": "bench", "model": "bench"})
            loop = asyncio.get_running_loop()
            start = loop.time()
            for index, token in enumerate(tokens):
                await asyncio.sleep(max(0.0, start + index / rate - loop.time()))  # absolute pacing, no drift
                yield sse("delta", {"text": token})
            usage = {"prompt_tokens": 10, "completion_tokens": len(tokens), "total_tokens": len(tokens) + 10}
            yield sse("usage", usage)
            yield sse("done", {"finish_reason": "stop"})

        return StreamingResponse(stream(), media_type="text/event-stream")

    return Starlette(
        routes=[
            Route("/api/chat/events", events, methods=["POST"]),
            Mount("/", StaticFiles(directory=dist, html=True)),
        ]
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=200.0, help="tokens per second")
    parser.add_argument("--dist", type=Path, default=ROOT / "services/ui/dist")
    parser.add_argument("--chromium", default=os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/ui-render.json")
    args = parser.parse_args()
    if not (args.dist / "index.html").exists():
        raise SystemExit(f"no built UI at {args.dist}: run `npm run build` in services/ui first")

    tokens = answer_tokens(args.tokens)
    with serve(make_app(args.dist, tokens, args.rate)) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.add_init_script(PROBE)
        page.goto(url)
        page.get_by_label("Message").fill("A very long answer, please.")
        page.evaluate("window.__bench.sentAt = performance.now()")
        started = time.monotonic()
        page.get_by_label("Message").press("Enter")
        answer = page.get_by_test_id("assistant-turn").last
        answer.wait_for(state="visible")
        page.wait_for_function(
            "document.querySelector('[data-testid=assistant-turn]')?.dataset.status === 'done'",
            timeout=(len(tokens) / args.rate + 60) * 1000,
        )
        elapsed = time.monotonic() - started
        probe = page.evaluate("window.__bench")
        rendered = len(answer.inner_text())
        browser.close()

    sent_at: float = probe["sentAt"]
    long_tasks = [duration for start, duration in probe["longTasks"] if start >= sent_at]
    load_tasks = [duration for start, duration in probe["longTasks"] if start < sent_at]
    gaps: list[float] = probe["frameGaps"][1:]
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, headless Chromium (software rendering)",
        "tokens": len(tokens),
        "rate_tokens_per_s": args.rate,
        "stream_seconds": round(elapsed, 2),
        "rendered_characters": rendered,
        "long_tasks_over_50ms": len(long_tasks),
        "longest_task_ms": round(max(long_tasks, default=0.0), 1),
        "page_load_long_tasks": len(load_tasks),
        "page_load_longest_task_ms": round(max(load_tasks, default=0.0), 1),
        "frames": len(gaps),
        "frame_gap_p50_ms": round(percentile(gaps, 0.5), 1),
        "frame_gap_p99_ms": round(percentile(gaps, 0.99), 1),
        "frame_gap_max_ms": round(max(gaps, default=0.0), 1),
        "target": "no main-thread task over 50 ms",
        "met": not long_tasks,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
