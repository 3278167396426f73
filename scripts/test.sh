#!/usr/bin/env bash
# The project's one test command (`make test`): installs what it needs, then runs every check.
# Stages: static checks of the container files; python services (lint, types, unit and contract tests);
# the UI (types, lint, unit tests, build); then the real stack end to end (scripts/e2e.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

PY_SERVICES=(services/emulator services/api)

ensure_uv
ensure_hadolint
stage "hadolint: every Dockerfile"
git ls-files --cached --others --exclude-standard '*Dockerfile' | xargs "$TOOLS_DIR/bin/hadolint"

for service in "${PY_SERVICES[@]}"; do
  stage "$service: install (locked)"
  (cd "$service" && uv sync --locked --quiet)
  stage "$service: ruff"
  (cd "$service" && uv run --no-sync ruff check . && uv run --no-sync ruff format --check .)
  stage "$service: mypy --strict"
  (cd "$service" && uv run --no-sync mypy .)
  stage "$service: pytest"
  (cd "$service" && uv run --no-sync pytest)
done
stage "bench: ruff, mypy (the benchmarks themselves run with make bench)"
(cd bench && uv sync --locked --quiet && uv run --no-sync ruff check . && uv run --no-sync ruff format --check . \
  && uv run --no-sync mypy .)

stage "services/ui: install (npm ci, locked)"
(cd services/ui && npm ci --no-audit --no-fund --loglevel=error)
stage "services/ui: tsc --noEmit (strict)"
(cd services/ui && npm run --silent typecheck)
stage "services/ui: eslint"
(cd services/ui && npm run --silent lint)
stage "services/ui: vitest"
(cd services/ui && npm test --silent)
stage "services/ui: production build"
(cd services/ui && npm run --silent build)

bash scripts/e2e.sh

stage "all checks passed"
