#!/usr/bin/env bash
# Benchmarks (`make bench`): loopback only, bounded in time. Results land in bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_uv
(cd bench && uv sync --locked --quiet)

stage "emulator throughput (zero delay, about 10 s)"
uv run --project bench --no-sync python bench/emulator_throughput.py

stage "the api layer by layer: HTTP client, openai SDK, Semantic Kernel, streaming core (about 30 s)"
uv run --project bench --no-sync python bench/api_layers.py

stage "stack overhead: emulator vs api vs nginx + api, concurrency 1 to 1000 (about 4 min)"
command -v nginx >/dev/null 2>&1 || apt_install_without_starting nginx
(cd services/api && uv sync --locked --quiet)
uv run --project bench --no-sync python bench/stack_overhead.py
uv run --project bench --no-sync python bench/plot_stack_overhead.py

stage "UI render under a 200 tokens/s stream (about 30 s)"
command -v chromium >/dev/null || { echo "needs Chromium (Debian: apt-get install chromium)"; exit 1; }
ensure_node
(cd services/ui && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
uv run --project bench --no-sync python bench/ui_render.py

stage "UI first load: initial JavaScript and long tasks on ten cold loads (about 30 s)"
uv run --project bench --no-sync python bench/ui_load.py
