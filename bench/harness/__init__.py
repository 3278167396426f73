"""What the benchmarks share: processes on loopback, the product's stack, the api's client calls, the
private stores, statistics. Each benchmark is a script beside this package (`from harness.stack import ...`)."""
