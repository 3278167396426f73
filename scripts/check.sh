#!/usr/bin/env bash
# The fast checks (`make check`), for before every commit: lint, formatting, types and unit tests of every
# service, no Docker. `make test` runs these first, then the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

mapfile -t PY_PROJECTS < <(python_projects)

ensure_uv
ensure_hadolint
stage "hadolint: every Dockerfile"
git ls-files --cached --others --exclude-standard '*Dockerfile' | xargs "$TOOLS_DIR/bin/hadolint"

stage "every uv.lock matches its pyproject.toml (the api's floors reach bench's lock through its path source)"
for project in "${PY_PROJECTS[@]}"; do
  (cd "$project" && uv lock --check --quiet) || { echo "$project/uv.lock is stale: run uv lock there" >&2; exit 1; }
done

for project in "${PY_PROJECTS[@]}"; do
  stage "$project: install (locked), ruff, mypy --strict"
  (cd "$project" && uv sync --locked --quiet && uv run --no-sync ruff check . && uv run --no-sync ruff format --check . \
    && uv run --no-sync mypy .)
done
# The api's storage and live-answer tests run on a real Postgres and a real Redis (each test run starts its
# own, from the machine's binaries): installed here from Debian's packages when missing.
command -v redis-server >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 \
  || { stage "installing postgresql and redis-server (apt; no service started)"; apt_install_without_starting postgresql redis-server; }
# Documents keep vectors in pgvector: Debian's package for the Postgres installed, where Debian has one (trixie
# does; bookworm does not, and the documents' Postgres tests then skip, saying why).
pg_major=$(ls /usr/lib/postgresql | sort -n | tail -1)
[ -e "/usr/share/postgresql/$pg_major/extension/vector.control" ] \
  || { stage "installing postgresql-$pg_major-pgvector (apt), if Debian has it"; \
       apt_install_without_starting "postgresql-$pg_major-pgvector" \
       || echo "no postgresql-$pg_major-pgvector package here: the documents' Postgres tests skip"; }
export REQUIRE_POSTGRES=1 REQUIRE_REDIS=1

stage "services/api: import-linter (routes -> area services -> core; an upward import fails)"
(cd services/api && uv run --no-sync lint-imports --no-cache)

for service in services/emulator services/mcp-demo services/api; do
  stage "$service: deptry (every import declared, nothing declared unused), pytest"
  (cd "$service" && uv run --no-sync deptry src && uv run --no-sync pytest -q)
done
stage "deploy/kubernetes: every overlay rendered, valid against Kubernetes' schemas (offline), linted, checked"
(cd tests/kubernetes && uv run --no-sync pytest -q)
stage "tests/e2e: the scripts' own tests (tooling/)"
(cd tests/e2e && uv run --no-sync pytest -q tooling)

ensure_node
stage "services/ui: install (npm ci, locked; Node.js $(node --version))"
(cd services/ui && npm ci --no-audit --no-fund --loglevel=error)
stage "services/ui: src/api/schema.d.ts is what the api's OpenAPI document gives (openapi-typescript)"
bash scripts/api-types.sh --check
stage "services/ui: prettier, tsc --noEmit (strict), eslint, vitest"
(cd services/ui && npm run --silent format:check && npm run --silent typecheck && npm run --silent lint \
  && npm test --silent)

stage "pre-commit: its configuration is valid"
"$TOOLS_DIR/bin/python" -m pre_commit validate-config .pre-commit-config.yaml

stage "fast checks passed"
