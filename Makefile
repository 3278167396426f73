# Entry points. Each target is a thin wrapper around a script in scripts/, so CI and people run the same thing.
.PHONY: check test e2e soak bench api-types

check:  ## the fast checks before every commit: lint, formatting, types, unit tests of every service (no Docker)
	bash scripts/check.sh

test:  ## every check: lint, types, unit tests, then the whole stack end to end (installs what it needs)
	bash scripts/test.sh

e2e:  ## only the stack end to end: compose up, smoke, stack tests, browser tests, compose down
	bash scripts/e2e.sh

soak:  ## the stack end to end with the full soak (300 paced streams for 60 s) instead of the short one
	E2E_SOAK=1 bash scripts/e2e.sh

bench:  ## benchmarks: emulator throughput, the api layer by layer, stack overhead (stateless and conversation routes, telemetry, replicas), long conversations, UI render and first load (loopback, about 25 minutes)
	bash scripts/bench.sh

api-types:  ## regenerate the UI's API types (services/ui/src/api/schema.d.ts) from the api's OpenAPI document
	bash scripts/api-types.sh
