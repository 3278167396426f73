#!/usr/bin/env bash
# The UI's API types, services/ui/src/api/schema.d.ts: openapi-typescript's rendering of the api's OpenAPI
# document (services/api: python -m chat_api.openapi_dump, the default settings, no server started).
#   scripts/api-types.sh          write them (`make api-types`)
#   scripts/api-types.sh --check  fail when the committed file is not what the api's document gives (`make check`)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

TYPES=services/ui/src/api/schema.d.ts
ensure_uv >/dev/null
ensure_node
[ -d services/ui/node_modules ] || (cd services/ui && npm ci --no-audit --no-fund --loglevel=error)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd services/api && uv sync --locked --quiet && uv run --no-sync python -m chat_api.openapi_dump) >"$work/openapi.json"
(cd services/ui && npx --no-install openapi-typescript "$work/openapi.json" --output "$work/schema.d.ts" >/dev/null)

if [ "${1:-}" = --check ]; then
  if ! diff -u "$TYPES" "$work/schema.d.ts" >"$work/diff"; then
    head -40 "$work/diff" >&2
    echo "$TYPES is stale (the api's OpenAPI document changed): run \`make api-types\` and commit it" >&2
    exit 1
  fi
else
  mkdir -p "$(dirname "$TYPES")"
  cp "$work/schema.d.ts" "$TYPES"
  echo "wrote $TYPES"
fi
