"""UI render benchmark: does the chat keep the main thread free while a long answer streams in fast, and does a
resumed answer paint its replayed text at once?

The product's whole path on loopback: the built UI (services/ui/dist) and one api worker behind Debian's nginx
with the product's configuration, Postgres and Redis, and the emulator as the model, answering 5,000 tokens of
markdown (its replies part after part: headings, lists, highlighted code, tables) at 200 tokens/s. Headless
Chromium opens the page (it signs in as a guest by itself) and sends; the page records every main-thread task
over 50 ms (the Long Tasks API) and every gap between animation frames while the answer streams.

Then the resume: in a new chat, a second such answer is reloaded mid-stream. From the reload on, the page
records the answer's length at every animation frame; the replayed text (everything the answer had before the
reload) should appear in one frame, not grow into place over several. Bounded by the answers' length.

Then an answer that acts and reads (#35): in a new chat a Markdown handbook of 40 sections is attached through
the file picker and read by the api (chunked, embedded by the emulator, indexed in pgvector); the message asks
the model for 10 `search_documents` calls at once, twice (20 tool cards, each with its passages), then the same
5,000 tokens of markdown in its own words, ending with 30 citation markers (`quote_results=0 cite=1,…,30`): 30
references and their sources list. Main-thread tasks over 50 ms are recorded from the send to the answer's end.

    uv run --project bench python bench/ui_render.py      (after `npm run build` in services/ui)
"""

import argparse
import json
import os
import platform
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import FilePayload, Page, sync_playwright

from harness.browser_stack import CHROMIUM_FLAGS, built_ui, product_on_loopback

ROOT = Path(__file__).resolve().parent.parent
LAST_ANSWER = "[...document.querySelectorAll('[data-testid=assistant-turn]')].at(-1)"

# Long tasks from the moment the page loads (each with its start), frame gaps from the moment of sending; after
# a reload made for the resume (flagged in sessionStorage), the last answer's length at every frame.
PROBE = f"""
window.__bench = {{ sentAt: Infinity, longTasks: [], frameGaps: [], lengths: [] }};
const resuming = sessionStorage.getItem('bench-resume') === '1';
new PerformanceObserver((list) => {{
  for (const entry of list.getEntries()) window.__bench.longTasks.push([entry.startTime, entry.duration]);
}}).observe({{ type: 'longtask', buffered: true }});
let last = performance.now();
const frame = (now) => {{
  if (now >= window.__bench.sentAt) window.__bench.frameGaps.push([now, now - last]);
  if (resuming) window.__bench.lengths.push([now, {LAST_ANSWER}?.textContent.length ?? 0]);
  last = now;
  requestAnimationFrame(frame);
}};
requestAnimationFrame(frame);
"""


def send(page: Page, text: str) -> None:
    page.get_by_label("Message").fill(text)
    page.get_by_label("Message").press("Enter")


def answer_status(page: Page) -> str:
    status: str = page.evaluate(f"{LAST_ANSWER}?.dataset.status ?? ''")
    return status


def wait_until_done(page: Page, seconds: float) -> None:
    page.wait_for_function(f"() => {LAST_ANSWER}?.dataset.status === 'done'", timeout=seconds * 1000)


TOPICS = ["harbour", "lighthouse", "orchard", "glacier", "foundry", "vineyard", "observatory", "monastery",
          "canal", "quarry", "brewery", "library", "railway", "bakery", "tannery", "shipyard", "meadow", "mill",
          "aqueduct", "granary", "apiary", "forge", "market", "theatre", "pharmacy", "archive", "ferry",
          "windmill", "cathedral", "garrison", "lagoon", "saltworks", "tramway", "greenhouse", "printworks",
          "dairy", "stables", "boathouse", "bellfoundry", "weaving"]  # fmt: skip
FILLER = ("the keepers record each season what changed and why it mattered to the town and its trade, how many "
          "hands the work took, which tools wore out first, and what the old hands taught the new ones")  # fmt: skip
SEARCHES = 10  # calls in each round
TOOL_ROUNDS = 2
CITED = 30


def handbook() -> bytes:
    """40 sections of about 450 tokens, each about one topic (a chunk or more of its own)."""
    sections = []
    for topic in TOPICS:
        sentences = [f"The {topic} is where {FILLER}; at the {topic} they keep {n} ledgers." for n in range(12)]
        sections.append(f"## The {topic}\n\n" + " ".join(sentences))
    return ("# The town handbook\n\n" + "\n\n".join(sections) + "\n").encode()


def acting_message() -> str:
    topics_per_search = len(TOPICS) // SEARCHES
    calls = [
        "@emulator call search_documents "
        + json.dumps({"query": " ".join(TOPICS[n * topics_per_search : (n + 1) * topics_per_search])})
        for n in range(SEARCHES)
    ]
    cite = ",".join(str(number) for number in range(1, CITED + 1))
    return "\n".join(
        ["What does the handbook say about each place? Cite it.", *calls,
         f"@emulator rounds={TOOL_ROUNDS} quote_results=0 cite={cite}"]
    )  # fmt: skip


def timed_answer(page: Page, text: str, seconds: float) -> tuple[float, Any]:
    """Sends `text` (the frame gaps counted from that moment) and waits for its answer to end: the seconds it
    took, and what the page's probe recorded."""
    page.get_by_label("Message").fill(text)
    page.evaluate("window.__bench.sentAt = performance.now(); window.__bench.frameGaps = []")
    started = time.monotonic()
    page.get_by_label("Message").press("Enter")
    wait_until_done(page, seconds)
    return time.monotonic() - started, page.evaluate("window.__bench")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def resume_figures(probe: dict[str, list[list[float]]], before: int) -> dict[str, object]:
    """From the frames after the reload: when the answer first showed text, and in how many frames it came to
    hold all it had before the reload (1: the replayed text was painted at once)."""
    lengths = probe["lengths"]
    first = next(index for index, (_, length) in enumerate(lengths) if length > 0)
    whole = next(index for index, (_, length) in enumerate(lengths) if length >= before)
    shown_at = lengths[whole][0]
    tasks = [(start, duration) for start, duration in probe["longTasks"] if start <= shown_at]
    return {
        "characters_before_reload": before,
        "first_text_ms_after_reload": round(lengths[first][0], 1),
        "characters_in_first_frame_with_text": int(lengths[first][1]),
        "frames_to_show_the_replay": whole - first + 1,
        "replay_shown_ms_after_reload": round(shown_at, 1),
        "long_tasks_until_shown": len(tasks),
        "longest_task_until_shown_ms": round(max((duration for _, duration in tasks), default=0.0), 1),
    }


def act_and_read(page: Page, answer_seconds: float) -> dict[str, object]:
    """The third part: a handbook attached, 20 tool cards, then the long answer citing 30 sources."""
    page.evaluate("sessionStorage.removeItem('bench-resume')")
    page.get_by_role("button", name="New chat").click()
    attached: FilePayload = {"name": "town-handbook.md", "mimeType": "text/markdown", "buffer": handbook()}
    page.get_by_test_id("file-input").set_input_files(files=[attached])
    page.get_by_test_id("file-chip").wait_for()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=file-chip]')?.dataset.state === 'ready'", timeout=120_000
    )
    elapsed, probe = timed_answer(page, acting_message(), answer_seconds)
    done_at: float = page.evaluate("performance.now()")
    answer = page.get_by_test_id("assistant-turn").last
    tool_cards = answer.get_by_test_id("tool-card").count()
    references = answer.get_by_test_id("citation-ref").count()
    shown = answer.inner_text()
    if tool_cards != SEARCHES * TOOL_ROUNDS or references != CITED:
        raise SystemExit(
            f"the answer shows {tool_cards} tool cards and {references} citations, not "
            f"{SEARCHES * TOOL_ROUNDS} and {CITED}; it ends: {shown[-300:]!r}"
        )
    long_tasks = [(start, duration) for start, duration in probe["longTasks"] if start >= probe["sentAt"]]
    gaps = [gap for _, gap in probe["frameGaps"][1:]]
    return {
        "what": f"{SEARCHES * TOOL_ROUNDS} search_documents tool cards (in {TOOL_ROUNDS} rounds), then a long "
        f"markdown answer ending with {CITED} citations",
        "tool_cards": tool_cards,
        "citations": references,
        "stream_seconds": round(elapsed, 2),
        "rendered_characters": len(shown),
        "long_tasks_over_50ms": len(long_tasks),
        "longest_task_ms": round(max((duration for _, duration in long_tasks), default=0.0), 1),
        # seconds before the page was read, a moment after it saw `done`
        "long_tasks_at_s_before_done": [round((done_at - start) / 1000, 2) for start, _ in long_tasks],
        "frame_gap_p99_ms": round(percentile(gaps, 0.99), 1),
        "frame_gap_max_ms": round(max(gaps, default=0.0), 1),
        "met": not long_tasks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=200.0, help="tokens per second")
    parser.add_argument(
        "--resume-after", type=float, default=8.0, help="seconds of the second answer before the reload"
    )
    parser.add_argument("--dist", type=Path, default=ROOT / "services/ui/dist")
    parser.add_argument("--chromium", default=os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/ui-render.json")
    parser.add_argument(
        "--no-documents", action="store_true", help="leave out the third part (its Postgres has no pgvector)"
    )
    args = parser.parse_args()
    dist = built_ui(args.dist)
    settings = {
        "EMULATOR_REPLY_TOKENS": str(args.tokens),
        "EMULATOR_REPLY_PADDING": "replies",
        "EMULATOR_TTFT_MS": "250",
        "EMULATOR_TOKEN_MS": str(1000 / args.rate),
        "DEFAULT_MAX_TOKENS": str(args.tokens + 200),  # room for the citation markers after the reply
        "MAX_OUTPUT_TOKENS": str(args.tokens + 200),
    }
    answer_seconds = args.tokens / args.rate + 60
    with ExitStack() as stack:
        url = stack.enter_context(product_on_loopback(dist, settings))
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_FLAGS)
        stack.callback(browser.close)
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.add_init_script(PROBE)
        page.goto(url)

        elapsed, probe = timed_answer(page, "A very long answer, please.", answer_seconds)
        rendered = len(page.get_by_test_id("assistant-turn").last.inner_text())

        page.get_by_role("button", name="New chat").click()
        send(page, "Another long answer, please.")
        page.wait_for_function(f"() => {LAST_ANSWER}?.dataset.status === 'streaming'")
        page.wait_for_timeout(args.resume_after * 1000)
        before: int = page.evaluate(f"{LAST_ANSWER}.textContent.length")
        page.evaluate("sessionStorage.setItem('bench-resume', '1')")
        page.reload()
        page.wait_for_function(
            f"() => ({LAST_ANSWER}?.textContent.length ?? 0) >= {before}", polling=100, timeout=30_000
        )
        page.wait_for_timeout(200)
        resumed = page.evaluate("window.__bench")
        status = answer_status(page)
        if status != "streaming":
            raise SystemExit(f"the resumed answer is {status!r}, not streaming: resume earlier")
        wait_until_done(page, answer_seconds)

        acting = None if args.no_documents else act_and_read(page, answer_seconds)

    sent_at: float = probe["sentAt"]
    long_tasks = [duration for start, duration in probe["longTasks"] if start >= sent_at]
    load_tasks = [duration for start, duration in probe["longTasks"] if start < sent_at]
    gaps = [gap for _, gap in probe["frameGaps"][1:]]
    longest_gap_at = max(probe["frameGaps"][1:], key=lambda frame: frame[1], default=[sent_at, 0.0])[0]
    resume = resume_figures(resumed, before)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, headless Chromium (software rendering)",
        "path": "browser -> nginx -> api (1 worker, Postgres, Redis) -> emulator",
        "tokens": args.tokens,
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
        "frame_gap_max_at_s": round((longest_gap_at - sent_at) / 1000, 2),
        "target": "no main-thread task over 50 ms",
        "met": not long_tasks,
        "resume": resume,
        "resume_target": "the replayed text painted in one frame",
        "resume_met": resume["frames_to_show_the_replay"] == 1,
        "acting": acting if acting is not None else "left out: --no-documents",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
