"""What an api worker weighs and how fast a replica starts (#35): the installed packages' size, a worker's memory
(RSS) at idle and after answers, and the time from gunicorn's start to the first `GET /api/readyz` that
answers 200 (and the CPU time gunicorn and its worker spent until then, which a loaded machine stretches far
less), on one worker (the image's gunicorn.conf.py, Postgres, Redis and the emulator beside it).

The api runs from an environment installed as the image installs it (`uv sync --no-dev --no-editable` with
its bytecode compiled, in the temporary directory): the development `.venv` has the dev tools' packages besides (some,
such as rich, imported at start when present) and compiles every module at every start.

`--checkout` measures another checkout of the repository (a git worktree of an older commit, its api's
`.venv` synced), so that a change is measured against its parent in one run:

    uv run --project bench python bench/footprint.py --runs 3 [--checkout /path/to/older/worktree]

Loopback only."""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from harness.client import new_conversations
from harness.processes import ROOT, rss_mb
from harness.worker_api import one_worker_api, time_to_first_token

ANSWERS = 20


def site_packages_mb(venv: Path) -> float:
    (site,) = (venv / "lib").glob("python3*/site-packages")
    return sum(path.stat().st_size for path in site.rglob("*") if path.is_file()) / 1e6


def image_venv(checkout: Path, commit: str) -> Path:
    """The checkout's api installed as its image installs it (Dockerfile: UV_COMPILE_BYTECODE=1, `uv sync
    --frozen --no-dev --no-editable`), once per commit (outside bench/.work, which each start empties)."""
    venv = Path(tempfile.gettempdir()) / f"chat-api-footprint-venv-{commit}"
    if not (venv / "bin/gunicorn").exists():
        uv = shutil.which("uv") or str(ROOT / ".tools/bin/uv")
        subprocess.run(  # noqa: S603 - uv, on our own checkout
            [uv, "sync", "--frozen", "--no-dev", "--no-editable", "--compile-bytecode", "--quiet"],
            cwd=checkout / "services/api", env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv)}, check=True,
        )  # fmt: skip
    return venv


def one_start(checkout: Path, venv: Path) -> dict[str, float]:
    """One start of the api: seconds to ready (and CPU seconds), the worker's RSS at idle and after ANSWERS
    answers (MB)."""
    with one_worker_api(checkout, venv) as api:
        time.sleep(2)
        idle = rss_mb(api.worker)
        for conversation in new_conversations(api.port, api.token, ANSWERS):
            body = {"content": "Footprint\n@emulator ttft_ms=0 token_ms=0 tokens=50"}
            time_to_first_token(api.port, api.token, f"/api/conversations/{conversation}/messages", body)
        return {
            "ready_s": api.ready_s,
            "ready_cpu_s": api.ready_cpu_s,
            "rss_idle_mb": idle,
            "rss_after_answers_mb": rss_mb(api.worker),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the repository checkout to measure")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/footprint.json")
    args = parser.parse_args()
    checkout = args.checkout.resolve()
    commit = subprocess.run(  # noqa: S603 - git, on our own checkout
        ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    venv = image_venv(checkout, commit)
    load = round(os.getloadavg()[0], 1)
    runs = [one_start(checkout, venv) for _ in range(args.runs)]
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPython {platform.python_version()}",
        "commit": commit,
        "site_packages_mb": round(site_packages_mb(venv), 1),
        "load_average_1m_at_start": load,
        "runs": args.runs,
        **{key: round(statistics.median(run[key] for run in runs), 2) for key in runs[0]},
        "each_run": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
