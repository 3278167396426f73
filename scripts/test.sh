#!/usr/bin/env bash
# The project's one test command (`make test`): installs what it needs, then runs every check.
# Stages: the fast checks (scripts/check.sh: lint, types, unit tests); each python service against the lowest
# versions its dependencies declare; the UI's production build; then the real stack end to end (scripts/e2e.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

bash scripts/check.sh

ensure_uv >/dev/null
for service in services/emulator services/mcp-demo services/api; do
  stage "$service: pytest against the lowest versions its pyproject.toml admits (the floors are true)"
  test_floors "$service"
done

ensure_node
stage "services/ui: production build"
(cd services/ui && npm run --silent build)

bash scripts/e2e.sh

stage "all checks passed"
