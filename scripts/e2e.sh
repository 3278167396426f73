#!/usr/bin/env bash
# The real stack, end to end: `docker compose up --build --wait`, then the smoke script and the browser tests
# through nginx, then `down`. Uses the Docker engine you have; on a machine with none (CI), starts the
# sandbox engine of tests/sandbox/ first and stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

export NGINX_PORT="${E2E_NGINX_PORT:-18080}" E2E_EMULATOR_PORT="${E2E_EMULATOR_PORT:-18081}"
# A short upstream timeout, so the "model hangs" case answers 504 in seconds rather than a minute; longer than
# the 7 s first token of stack/test_endings.py, which outlives the 5 s lease below.
export UPSTREAM_TIMEOUT_S="${E2E_UPSTREAM_TIMEOUT_S:-10}" E2E_UPSTREAM_TIMEOUT_S="${E2E_UPSTREAM_TIMEOUT_S:-10}"
# All test traffic comes from one address, so the per-client limits are raised for the load and fuzz tests;
# the rate-limit test puts the product's defaults back for its own run. Unpaced replies keep a thousand
# fuzzed requests to seconds: every test that needs pacing sets it per request with an @emulator line.
export NGINX_CHAT_RATE="${E2E_NGINX_CHAT_RATE:-2000r/s}" NGINX_CHAT_BURST="${E2E_NGINX_CHAT_BURST:-2000}"
export NGINX_STREAMS_PER_CLIENT="${E2E_NGINX_STREAMS_PER_CLIENT:-1000}"
export NGINX_AUTH_RATE="${E2E_NGINX_AUTH_RATE:-1000r/s}" NGINX_AUTH_BURST="${E2E_NGINX_AUTH_BURST:-1000}"
# Access tokens outlive the run (the tests hold one each); answers whose owner died lapse in 5 s, not 10.
export ACCESS_TOKEN_TTL_S=3600 GENERATION_LEASE_S=5
# The fuzz signs in with random credentials from the one test address: the per-address limit on failed
# sign-ins would then refuse the browser tests' (the unit tests check that limit).
export LOGIN_MAX_FAILURES_PER_ADDRESS=1000000
# The load, fuzz and restart tests send hundreds of messages at once as one guest: per-user limits out of their
# way (the limits test sets its own, and the unit tests cover them).
export GUEST_REQUESTS_PER_MINUTE=1000000 GUEST_CONCURRENT_STREAMS=100000 GUEST_TOKENS_PER_DAY=2000000000
# The same for what all guests share and what one address or user may create: the tests start hundreds of
# guests and conversations from the one address (stack/test_client_address.py sets small caps for its run).
export GUESTS_PER_ADDRESS_PER_DAY=1000000 GUEST_TOKENS_PER_DAY_TOTAL=1000000000000
export CONVERSATIONS_CREATED_PER_MINUTE=1000000 IMPORTS_PER_HOUR=1000000 SHARES_CREATED_PER_HOUR=1000000
# Accounts keep the product's rates, with a day's budget small enough that the browser's limits test brings it
# low with four answers in flight (each reserves its max_tokens until it ends).
export USER_TOKENS_PER_DAY=20000
# A model window small enough that the browser's memory test fills it in a dozen turns (the product's: 128000).
export CONTEXT_WINDOW_TOKENS=8000
export EMULATOR_TTFT_MS=0 EMULATOR_TOKEN_MS=0
# A distinctive key, so the secrets test can prove its value shows up nowhere (bundle, bodies, headers, logs).
export E2E_API_KEY="${E2E_API_KEY:-e2e-key-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')}"
export AZURE_OPENAI_API_KEY="$E2E_API_KEY" EMULATOR_API_KEY="$E2E_API_KEY"
# A short grace period on restart, so the restart test sees both sides of it in seconds.
export GRACEFUL_TIMEOUT_S="${E2E_GRACEFUL_TIMEOUT_S:-8}" E2E_GRACEFUL_TIMEOUT_S="${E2E_GRACEFUL_TIMEOUT_S:-8}"
export E2E_BASE_URL="http://127.0.0.1:${NGINX_PORT}" E2E_EMULATOR_URL="http://127.0.0.1:${E2E_EMULATOR_PORT}"
# The MCP demo server (profile mcp) on loopback for its test hooks, checking the api's per-user tokens: a secret
# made per run, which the api signs with and the stack tests sign their own tokens with.
export E2E_MCP_DEMO_PORT="${E2E_MCP_DEMO_PORT:-18082}" E2E_MCP_DEMO_URL="http://127.0.0.1:${E2E_MCP_DEMO_PORT:-18082}"
export MCP_DEMO_TOKEN_SECRET="${E2E_MCP_TOKEN_SECRET:-e2e-mcp-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}"
# Single sign-on on, against the development provider (compose.sso.yaml, profile sso), on a port of its own.
export OIDC_DEV_PORT="${E2E_OIDC_PORT:-19400}" E2E_OIDC_URL="http://oidc.localhost:${E2E_OIDC_PORT:-19400}"
compose=(docker compose -p chat-e2e -f "$PWD/compose.yaml" -f "$PWD/compose.sso.yaml" -f "$PWD/compose.mcp.yaml"
  -f "$PWD/tests/e2e/compose.e2e.yaml"
  --profile sso --profile mcp)
export E2E_COMPOSE="${compose[*]}"  # for the browser test that crashes the api on purpose

started_sandbox=false
if ! docker info >/dev/null 2>&1; then
  bash tests/sandbox/start.sh
  source .sandbox/env
  started_sandbox=true
fi

cleanup() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    stage "stack: logs of the failed run (last 60 lines per service)"
    "${compose[@]}" logs --no-color --tail 60 2>/dev/null || true
  fi
  if [ -n "${E2E_KEEP:-}" ]; then  # left running, to run tests again: E2E_KEEP=1 E2E_ONLY=... make e2e
    echo "the stack stays up (E2E_KEEP): ${compose[*]} down -v, and tests/sandbox/stop.sh, when done"
    exit "$status"
  fi
  "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  if $started_sandbox; then bash tests/sandbox/stop.sh; fi
  exit "$status"
}
trap cleanup EXIT

stage "stack: docker compose config"
docker compose config -q
docker compose --profile observability config -q  # its image cannot be pulled here: checked, not run
docker compose -f compose.yaml -f compose.sso.yaml --profile sso config -q
docker compose -f compose.yaml -f compose.mcp.yaml --profile mcp config -q
"${compose[@]}" config -q

stage "stack: docker compose up --build --wait"
compose_up "${compose[@]}"
"${compose[@]}" ps --all --format '{{.Service}}: {{.Status}}'
stack_healthy "${compose[@]}"

if [ -n "${E2E_ONLY:-}" ]; then  # some tests only, e.g. E2E_ONLY="stack/test_fuzz.py browser/test_accounts.py"
  ensure_uv >/dev/null
  stage "stack: $E2E_ONLY"
  # shellcheck disable=SC2086  # a list of test paths
  (cd tests/e2e && uv sync --locked --quiet && uv run --no-sync pytest $E2E_ONLY)
  exit 0
fi

stage "stack: smoke test through nginx ($E2E_BASE_URL)"
ensure_uv >/dev/null
(cd tests/e2e && uv sync --locked --quiet && uv run --no-sync python smoke.py "$E2E_BASE_URL")

stage "stack: fault matrix through nginx (both routes, every injected fault)"
(cd tests/e2e && uv run --no-sync pytest stack)

stage "stack: browser tests (Playwright driving Debian's Chromium)"
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then
  apt_install chromium fonts-noto-cjk fonts-noto-color-emoji
fi
ensure_uv >/dev/null
(cd tests/e2e && uv run --no-sync ruff check . && uv run --no-sync mypy . && uv run --no-sync pytest browser)
echo "screenshots: tests/e2e/artifacts/"
