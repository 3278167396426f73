"""UI first-load benchmark: how much JavaScript the first paint needs, and whether loading it blocks the page.

Reads the built UI (services/ui/dist): the initial JavaScript is the entry script and its modulepreloads, the
only scripts index.html names (everything else loads on demand), sized gzipped at level 6 as Vite reports.
Then loads the page cold, as a first visit does (a new browser context each time, in a browser already
running: no HTTP cache, no compiled code; served as compose does, through nginx with the api behind it, so each
load signs in as a new guest), several times, and records every main-thread task over 50 ms (the
Long Tasks API) until the page has settled, which includes fetching and evaluating the markdown renderer that
is loaded when the page is first idle.

    uv run --project bench python bench/ui_load.py      (after `npm run build` in services/ui)
"""

import argparse
import gzip
import json
import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import sync_playwright

from harness.browser_stack import CHROMIUM_FLAGS, built_ui, product_on_loopback

ROOT = Path(__file__).resolve().parent.parent
TARGET_KB = 90
PROBE = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__longTasks.push([entry.name, entry.startTime, entry.duration]);
}).observe({ type: 'longtask', buffered: true });
"""

TIMING = """(() => {
  const navigation = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  return { dom_content_loaded_ms: navigation.domContentLoadedEventEnd, first_paint_ms: paint ? paint.startTime : null };
})()"""


def initial_scripts(dist: Path) -> list[Path]:
    html = (dist / "index.html").read_text()
    names = re.findall(r'<script[^>]+src="/?([^"]+\.js)"', html) + re.findall(
        r'<link[^>]+rel="modulepreload"[^>]+href="/?([^"]+\.js)"', html
    )
    return [dist / name for name in dict.fromkeys(names)]


def gzip_kb(path: Path) -> float:
    return len(gzip.compress(path.read_bytes(), compresslevel=6)) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--dist", type=Path, default=ROOT / "services/ui/dist")
    parser.add_argument("--chromium", default=os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/ui-load.json")
    args = parser.parse_args()
    dist = built_ui(args.dist)
    scripts = initial_scripts(dist)
    all_js = sorted(dist.glob("assets/*.js"))
    initial_kb = sum(gzip_kb(path) for path in scripts)
    runs: list[dict[str, object]] = []
    with product_on_loopback(dist) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_FLAGS)
        browser.new_page().goto("about:blank")  # the browser's own start-up is not the page's load
        for _ in range(args.runs):
            context = browser.new_context(viewport={"width": 1100, "height": 800})
            page = context.new_page()
            page.add_init_script(PROBE)
            page.goto(url, wait_until="networkidle")
            page.get_by_label("Message").wait_for()
            page.wait_for_timeout(1000)  # the idle-time fetch of the markdown renderer, and its evaluation
            timing = page.evaluate(TIMING)
            tasks = [duration for _, _, duration in page.evaluate("window.__longTasks")]
            loaded = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
            runs.append(
                {
                    **{key: round(value, 1) for key, value in timing.items() if value is not None},
                    "long_tasks_over_50ms": len(tasks),
                    "longest_task_ms": round(max(tasks, default=0.0), 1),
                    "markdown_renderer_loaded": any("/assets/Markdown-" in name for name in loaded),
                }
            )
            context.close()
        browser.close()

    longest = max(float(str(run["longest_task_ms"])) for run in runs)
    with_long_tasks = sum(1 for run in runs if run["long_tasks_over_50ms"])
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, headless Chromium (software rendering)",
        "initial_js": {path.name: round(gzip_kb(path), 1) for path in scripts},
        "initial_js_gzip_kb": round(initial_kb, 1),
        "all_js_gzip_kb": round(sum(gzip_kb(path) for path in all_js), 1),
        "js_chunks": len(all_js),
        "cold_loads": runs,
        "longest_task_ms": longest,
        "loads_with_a_task_over_50ms": f"{with_long_tasks} of {len(runs)}",
        "target": f"initial JavaScript <= {TARGET_KB} kB gzip; no main-thread task over 50 ms on a cold load",
        "met": initial_kb <= TARGET_KB and all(run["long_tasks_over_50ms"] == 0 for run in runs),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
