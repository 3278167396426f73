# Entry points. Each target is a thin wrapper around a script in scripts/, so CI and people run the same thing.
.PHONY: test bench

test:  ## every check: lint, types, unit tests (installs what it needs)
	bash scripts/test.sh

bench:  ## benchmarks: emulator throughput, stack overhead, UI render (loopback only, about 5 minutes)
	bash scripts/bench.sh
