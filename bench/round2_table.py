"""Round 2's table: the stateless route, the conversation route, the conversation route with telemetry on, and
the conversation route on two replicas, side by side, from the files `make bench` wrote in one run
(stack-overhead-<variant>.json). Through nginx (path c), as users reach it. Prints Markdown and writes it to
bench/results/round2-table.md, with the targets' verdicts. (Telemetry's cost is measured apart, side by side:
telemetry_cost.py; one run here differs from the next by up to a quarter.)

    uv run --project bench python bench/round2_table.py
"""

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
VARIANTS = {
    "stateless": "stateless",
    "conversation": "conversation",
    "conversation-telemetry": "conversation, telemetry on",
    "conversation-2-replicas": "conversation, 2 replicas of 1 worker",
}


def load(variant: str) -> dict[str, Any] | None:
    path = RESULTS / f"stack-overhead-{variant}.json"
    return json.loads(path.read_text()) if path.exists() else None


def through_nginx(result: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    rows = {(row["pacing"], row["concurrency"]): dict(row) for row in result["rows"] if row["path"] == "nginx"}
    for added in result["added"]:
        if added["path"] == "nginx":
            rows[(added["pacing"], added["concurrency"])].update(added)
    return rows


def number(value: object, unit: str = "") -> str:
    if not isinstance(value, int | float):
        return "n/a"
    return f"{value:,.1f}{unit}" if abs(value) < 100 else f"{value:,.0f}{unit}"


def table(results: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "| scenario | route | added TTFT p50 / p99 | api CPU per token | token lag p99 | tokens/s | errors | "
        "api worker RSS |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    scenarios = sorted({key for result in results.values() for key in through_nginx(result)})
    for pacing, concurrency in scenarios:
        first = True
        for variant, result in results.items():
            row = through_nginx(result).get((pacing, concurrency))
            if row is None:
                continue
            rss = row.get("api_worker_rss_mb") or []
            lines.append(
                f"| {f'{pacing}, {concurrency}' if first else ''} | {VARIANTS[variant]} | "
                f"{number(row.get('added_ttft_p50_ms'))} / {number(row.get('added_ttft_p99_ms'))} ms | "
                f"{number(row.get('api_cpu_us_per_chunk'))} µs | {number(row.get('token_lag_p99_ms'), ' ms')} | "
                f"{number(row.get('chunks_per_s'))} | {row['errors']} | {number(max(rss) if rss else None, ' MB')} |"
            )
            first = False
    return lines


def verdicts(results: dict[str, dict[str, Any]]) -> list[str]:
    """The round 2 targets (issues #14, #16, #18), from the same run."""
    lines = []
    stateless, conversation = results.get("stateless"), results.get("conversation")
    telemetry = results.get("conversation-telemetry")
    if stateless and conversation:
        s, c = through_nginx(stateless), through_nginx(conversation)
        one, burst = ("paced", 1), ("unpaced", 10)
        if one in s and one in c:
            ttft = c[one]["added_ttft_p50_ms"] - s[one]["added_ttft_p50_ms"]
            cpu = c[one]["api_cpu_us_per_chunk"] / s[one]["api_cpu_us_per_chunk"] - 1
            lines.append(f"- conversation vs stateless, paced 1 stream: TTFT p50 {ttft:+.1f} ms (target ≤ +1 ms), "
                         f"CPU per token {cpu:+.0%} (target ≤ +20%)")  # fmt: skip
        if burst in s and burst in c:
            cpu = c[burst]["api_cpu_us_per_chunk"] / s[burst]["api_cpu_us_per_chunk"] - 1
            lines.append(f"- conversation vs stateless, unpaced 10 streams: CPU per token {cpu:+.0%}")
            per_token = s[burst]["api_cpu_us_per_chunk"]
            lines.append(f"- stateless, unpaced 10 streams: api CPU per token {per_token:.0f} µs (target ≤ 150 µs)")
        if one in s:
            lines.append(f"- stateless, paced 1 stream: added TTFT p50 {s[one]['added_ttft_p50_ms']:.1f} ms "
                         "(target ≤ 3.0 ms)")  # fmt: skip
    if conversation and telemetry:
        c, t = through_nginx(conversation), through_nginx(telemetry)
        for scenario in (("paced", 1), ("paced", 10), ("unpaced", 10)):
            if scenario in c and scenario in t:
                ttft = t[scenario]["added_ttft_p50_ms"] - c[scenario]["added_ttft_p50_ms"]
                cpu = t[scenario]["api_cpu_us_per_chunk"] / c[scenario]["api_cpu_us_per_chunk"] - 1
                name = f"{scenario[0]} {scenario[1]}"
                lines.append(f"- telemetry on vs off (conversation), {name}: TTFT p50 {ttft:+.1f} ms (target ≤ +0.5), "
                             f"CPU per token {cpu:+.0%} (target ≤ +10%)")  # fmt: skip
    return lines


def main() -> None:
    results = {variant: result for variant in VARIANTS if (result := load(variant)) is not None}
    if not results:
        raise SystemExit("no results yet: run make bench (or stack_overhead.py --label <variant> ...)")
    first = next(iter(results.values()))
    lines = [
        f"Measured {first['date']} on {first['machine']}; through nginx; {first['api_workers']} api workers "
        "unless said; the model is the emulator (paced: 50 tokens at 20 ms; unpaced: 200 tokens at once).",
        "",
        *table(results),
        "",
        *verdicts(results),
    ]
    text = "\n".join(lines) + "\n"
    (RESULTS / "round2-table.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
