#!/usr/bin/env bash
# Restart the api replicas one at a time, so the stack keeps serving throughout (`docker compose restart api`
# restarts them all at once). Each replica gets its grace period to finish or hand back the answers it runs;
# the next goes once this one is healthy and nginx (which looks names up again every second) sends it work.
#   scripts/rolling-restart.sh                      (the compose project in this folder)
#   COMPOSE="docker compose -p chat-e2e -f ..." scripts/rolling-restart.sh
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a compose <<<"${COMPOSE:-docker compose}"
SETTLE_S=${SETTLE_S:-2}  # after healthy: nginx looks the name up again (every second) and sends it work

containers=$("${compose[@]}" ps -q api)
[ -n "$containers" ] || { echo "no api replica is running" >&2; exit 1; }
for container in $containers; do
  name=$(docker inspect -f '{{.Name}}' "$container")
  echo "restarting ${name#/}"
  docker restart "$container" >/dev/null  # SIGTERM, then the container's stop timeout (compose's stop_grace_period)
  for _ in $(seq 1 240); do
    [ "$(docker inspect -f '{{.State.Health.Status}}' "$container")" = healthy ] && break
    sleep 0.5
  done
  [ "$(docker inspect -f '{{.State.Health.Status}}' "$container")" = healthy ] \
    || { echo "${name#/} is not healthy after 120 s: stopping here" >&2; exit 1; }
  sleep "$SETTLE_S"
done
echo "every api replica restarted"
