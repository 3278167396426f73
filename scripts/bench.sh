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

stage "round 2, side by side: stateless, conversation, conversation with telemetry, and 2 replicas (about 12 min)"
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null && command -v redis-server >/dev/null \
  || apt_install_without_starting postgresql redis-server
scenarios=paced:1,paced:10,paced:100,paced:500,unpaced:10,unpaced:100
run_variant() {  # label, then stack_overhead.py's options
  local label=$1; shift
  uv run --project bench --no-sync python bench/stack_overhead.py --label "$label" --only "$scenarios" \
    --out "bench/results/stack-overhead-$label.json" "$@"
}
run_variant stateless --route events
run_variant conversation --route conversation
run_variant conversation-telemetry --route conversation --telemetry
run_variant conversation-2-replicas --route conversation --replicas 2 --workers 1

uv run --project bench --no-sync python bench/round2_table.py
uv run --project bench --no-sync python bench/plot_round2.py

stage "the conversation route against the stateless one, side by side, answers sent to each in turn (about 1 min)"
uv run --project bench --no-sync python bench/route_cost.py
uv run --project bench --no-sync python bench/tool_rounds.py

# Documents keep vectors in pgvector: Debian's package where Debian has one for this Postgres (trixie does,
# bookworm does not: there the documents' benchmarks, and the UI's answer that reads them, are left out).
pg_major=$(ls /usr/lib/postgresql | sort -n | tail -1)
pgvector="/usr/share/postgresql/$pg_major/extension/vector.control"
[ -e "$pgvector" ] || apt_install_without_starting "postgresql-$pg_major-pgvector" || true
if [ -e "$pgvector" ]; then
  stage "documents: search at 1,000, 10,000 and 100,000 chunks on Postgres, and SQLite for reference (about 10 min)"
  uv run --project bench --no-sync python bench/docs_search.py

  stage "documents: a PDF's ingestion through the api, and what a 50 MB upload costs a worker in memory (about 3 min)"
  uv run --project bench --no-sync python bench/docs_ingest.py

  stage "documents: what a retrieval round adds before the model's next request, on the wire (about 2 min)"
  uv run --project bench --no-sync python bench/docs_rounds.py
  documents=()
else
  stage "no postgresql-$pg_major-pgvector here: the documents' benchmarks are left out"
  documents=(--no-documents)
fi

stage "an MCP call's api time over the bare SDK's, and 100 users' MCP sessions' memory (about 30 s)"
uv run --project bench --no-sync python bench/mcp_calls.py

stage "footprint: installed size, a worker's memory at idle, start to ready (about 2 min)"
uv run --project bench --no-sync python bench/footprint.py

stage "telemetry's cost: off, on, on without model spans, side by side, answers sent to each in turn (about 4 min)"
uv run --project bench --no-sync python bench/telemetry_cost.py

stage "garbage collector pauses in an api worker, before and after start-up's objects are frozen (about 5 s)"
uv run --project bench --no-sync python bench/gc_pause.py

stage "limit checks: what admitting a send costs (one script in Redis), alone and 100 at once (about 10 s)"
uv run --project bench --no-sync python bench/limits_overhead.py

stage "reconnect: a reader cut off mid-answer, to the first event it missed, 100 answers at once (about 30 s)"
uv run --project bench --no-sync python bench/reconnect.py

stage "a long conversation: what a send costs in branches of 2 to 2,000 messages (about 1 min)"
uv run --project bench --no-sync python bench/long_conversation.py

stage "UI render: a 5,000-token answer at 200 tokens/s, a reload mid-answer, one with 20 tool cards and 30 citations (about 2 min)"
command -v chromium >/dev/null || apt_install_without_starting chromium
ensure_node
(cd services/ui && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
uv run --project bench --no-sync python bench/ui_render.py "${documents[@]}"

stage "UI first load: initial JavaScript and long tasks on ten cold loads (about 40 s)"
uv run --project bench --no-sync python bench/ui_load.py
