#!/usr/bin/env bash
# pre-commit's Python hooks, over the projects of scripts/python-projects.txt:
#   lock           every uv.lock matches its pyproject.toml
#   mypy FILE...   mypy --strict in each project that holds one of the files
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

hook=$1
shift
for project in $(python_projects); do
  case $hook in
    lock) (cd "$project" && uv lock --check --quiet) || { echo "$project/uv.lock is stale: run uv lock there" >&2; exit 1; } ;;
    mypy)
      for file in "$@"; do
        if [[ $file == "$project"/* ]]; then (cd "$project" && uv run --no-sync mypy .); break; fi
      done ;;
    *) echo "unknown hook: $hook (lock or mypy)" >&2; exit 2 ;;
  esac
done
