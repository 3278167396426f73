#!/usr/bin/env bash
# Benchmarks (`make bench`): loopback only, bounded in time. Results land in bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_uv
(cd bench && uv sync --locked --quiet)

stage "emulator throughput (zero delay, about 10 s)"
uv run --project bench --no-sync python bench/emulator_throughput.py

stage "UI render under a 200 tokens/s stream (about 30 s)"
command -v chromium >/dev/null || { echo "needs Chromium (Debian: apt-get install chromium)"; exit 1; }
(cd services/ui && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
uv run --project bench --no-sync python bench/ui_render.py
