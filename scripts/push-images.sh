#!/usr/bin/env bash
# Build every image of the stack, push it to your registry, and point the Kubernetes manifests at it:
#   scripts/push-images.sh myregistry.azurecr.io [tag]      (tag: the commit's short hash by default)
# Log in first (az acr login --name myregistry, or docker login). The manifests then use
# <registry>/streaming-chat/<api|ui|nginx|emulator>:<tag> (deploy/kubernetes/components/images).
set -euo pipefail
cd "$(dirname "$0")/.."

registry="${1:?usage: scripts/push-images.sh <registry> [tag]}"
tag="${2:-$(git rev-parse --short HEAD)}"
declare -A contexts=([api]=services/api [ui]=services/ui [nginx]=nginx [emulator]=services/emulator)

for name in api ui nginx emulator; do
  image="$registry/streaming-chat/$name:$tag"
  echo "==> $image"
  docker build --tag "$image" "${contexts[$name]}"
  docker push "$image"
done

images=deploy/kubernetes/components/images/kustomization.yaml
sed -i -E "s|newName: .*/streaming-chat/|newName: $registry/streaming-chat/|; s|newTag: .*|newTag: \"$tag\"|" "$images"
echo "==> $images now names $registry/streaming-chat/*:$tag"
