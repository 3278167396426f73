#!/usr/bin/env bash
# Stops the private dockerd that start.sh started, by its PID. Images stay cached in .sandbox/ for next time.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SANDBOX=${SANDBOX_DIR:-$ROOT/.sandbox}
pidfile="$SANDBOX/dockerd.pid"
[ -f "$pidfile" ] || exit 0
pid=$(cat "$pidfile")
if kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
fi
rm -f "$pidfile"
