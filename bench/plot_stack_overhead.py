"""Plots of the stack-overhead results: what the stack adds to latency, and what its throughput costs in CPU.

    uv run --project bench python bench/plot_stack_overhead.py      (make bench runs it after the measurement)

Reads results/stack-overhead.json and, when present, results/stack-overhead-before.json (the same benchmark
run against the api before the optimisations), and writes two PNGs beside them.
"""

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no screen
import matplotlib.pyplot as plt  # (after choosing the backend)

RESULTS = Path(__file__).resolve().parent / "results"
PATHS = {"api": "(b) api", "nginx": "(c) nginx + api"}
COLOURS = {"api": "tab:blue", "nginx": "tab:orange"}
TARGET_TTFT_MS, TARGET_LAG_MS = 3, 25

Rows = list[dict[str, Any]]


def load(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


def added(rows: Rows, path: str, pacing: str, key: str) -> tuple[list[int], list[float]]:
    """(concurrency, what `path` adds to `key` over the emulator alone) for every scenario of `pacing`: the
    median over runs, each run compared with the emulator's in the same run."""
    emulator = [r for r in rows if r["path"] == "emulator" and r["pacing"] == pacing]
    direct = {(r["concurrency"], r.get("run", 1)): r[key] for r in emulator}
    by_concurrency: dict[int, list[float]] = {}
    for r in rows:
        base = direct.get((r["concurrency"], r.get("run", 1)))
        if r["path"] == path and r["pacing"] == pacing and r.get(key) is not None and base is not None:
            by_concurrency.setdefault(r["concurrency"], []).append(r[key] - base)
    concurrencies = sorted(by_concurrency)
    return concurrencies, [statistics.median(by_concurrency[c]) for c in concurrencies]


def latency_figure(runs: dict[str, Rows], out: Path) -> None:
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.6), constrained_layout=True)
    panels = [
        (axes[0], "ttft_p50_ms", "added time to first token, p50 (ms)", TARGET_TTFT_MS),
        (axes[1], "token_lag_p99_ms", "added token lag behind the model's pace, p99 (ms)", TARGET_LAG_MS),
    ]
    for axis, key, title, target in panels:
        for label, rows in runs.items():
            for path, name in PATHS.items():
                x, y = added(rows, path, "paced", key)
                style, alpha = ("-o", 1.0) if label == "after" else ("--x", 0.6)
                axis.plot(x, y, style, color=COLOURS[path], label=f"{name}, {label}", alpha=alpha)
        axis.axhline(target, color="tab:red", linewidth=1, linestyle=":", label=f"target {target} ms")
        axis.set(xscale="log", xlabel="concurrent paced streams (50 tokens/s each)", title=title)
        axis.set_yscale("symlog", linthresh=1)  # log above 1 ms; linear below, where differences are noise
        axis.set_ylim(bottom=0)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle("What the stack adds over the model alone (loopback, 2 cores)")
    figure.savefig(out, dpi=110)
    plt.close(figure)


def capacity_figure(runs: dict[str, Rows], out: Path) -> None:
    figure, axis = plt.subplots(figsize=(8, 5), constrained_layout=True)
    for label, rows in runs.items():
        for pacing, marker in (("paced", "o"), ("unpaced", "s")):
            points = [r for r in rows if r["path"] == "nginx" and r["pacing"] == pacing]
            x = [r["cpu_s"]["api"] / r["wall_s"] for r in points]
            y = [r["chunks_per_s"] for r in points]
            axis.plot(x, y, marker=marker, linestyle="-" if label == "after" else "--",
                      label=f"{pacing}, {label}", alpha=1 if label == "after" else 0.6)  # fmt: skip
            for r, xi, yi in zip(points, x, y, strict=True):
                axis.annotate(str(r["concurrency"]), (xi, yi), textcoords="offset points", xytext=(4, 4), fontsize=7)
    axis.set(xlabel="api CPU in use (cores)", ylabel="tokens relayed per second (through nginx)",
             title="Throughput against the api's CPU (labels: concurrent streams)")  # fmt: skip
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=8)
    figure.savefig(out, dpi=110)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--after", type=Path, default=RESULTS / "stack-overhead.json")
    parser.add_argument("--before", type=Path, default=RESULTS / "stack-overhead-before.json")
    args = parser.parse_args()
    after = load(args.after)
    if after is None:
        raise SystemExit(f"no results at {args.after}: run stack_overhead.py first")
    runs = {"after": after["rows"]}
    before = load(args.before)
    if before is not None:
        runs = {"before": before["rows"], **runs}
    latency_figure(runs, args.after.parent / "stack-overhead-latency.png")
    capacity_figure(runs, args.after.parent / "stack-overhead-capacity.png")
    print(f"plots: {args.after.parent}/stack-overhead-latency.png, stack-overhead-capacity.png")


if __name__ == "__main__":
    main()
