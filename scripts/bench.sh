#!/usr/bin/env bash
# Benchmarks (`make bench`): loopback only, bounded in time. Results land in bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_uv
(cd services/emulator && uv sync --locked --quiet)
stage "emulator throughput (zero delay)"
uv run --project services/emulator --no-sync python bench/emulator_throughput.py
