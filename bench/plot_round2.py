"""Plot of round 2's variants side by side (the files round2_table.py reads): through nginx, by concurrency, the
added time to first token, the api's CPU per token and the token lag behind the model's pace, for the stateless
route, the conversation route, with telemetry on, and on two replicas.

    uv run --project bench python bench/plot_round2.py      (make bench runs it after the measurement)
"""

import matplotlib

matplotlib.use("Agg")  # files only, no screen
import matplotlib.pyplot as plt  # (after choosing the backend)

from round2_table import RESULTS, VARIANTS, load, through_nginx

PANELS = [  # (key, title, y scale)
    ("added_ttft_p50_ms", "added time to first token, p50 (ms)", "log"),
    ("api_cpu_us_per_chunk", "api CPU per token (µs)", "log"),
    ("token_lag_p99_ms", "token lag behind the model's pace, p99 (ms)", "symlog"),
]
STYLES = {"paced": "-o", "unpaced": "--s"}


def main() -> None:
    results = {variant: result for variant in VARIANTS if (result := load(variant)) is not None}
    if not results:
        raise SystemExit("no results yet: run make bench (or stack_overhead.py --label <variant> ...)")
    figure, axes = plt.subplots(1, len(PANELS), figsize=(16, 4.8), constrained_layout=True)
    colours = dict(zip(results, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    for axis, (key, title, scale) in zip(axes, PANELS, strict=True):
        for variant, result in results.items():
            rows = through_nginx(result)
            for pacing, style in STYLES.items():
                points = sorted(
                    (c, row[key]) for (p, c), row in rows.items() if p == pacing and row.get(key) is not None
                )
                if not points or (key == "token_lag_p99_ms" and pacing == "unpaced"):
                    continue
                x, y = zip(*points, strict=True)
                axis.plot(x, y, style, color=colours[variant], label=f"{VARIANTS[variant]}, {pacing}")
        axis.set(xscale="log", xlabel="concurrent streams (paced: 50 tokens/s each)", title=title)
        axis.set_yscale(scale, **({"linthresh": 1} if scale == "symlog" else {}))
        if scale == "symlog":
            axis.set_ylim(bottom=0)  # a lag is never negative: no room below 0
        axis.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=7)
    first = next(iter(results.values()))
    figure.suptitle(f"Round 2 through nginx, side by side ({first['date'][:10]}, {first['machine']})")
    out = RESULTS / "round2-variants.png"
    figure.savefig(out, dpi=110)
    plt.close(figure)
    print(f"plot: {out}")


if __name__ == "__main__":
    main()
