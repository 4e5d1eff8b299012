#!/usr/bin/env bash
# Frees the disk that local builds pile up in our own dockerd (vfs keeps a full copy of the
# filesystem per layer, about 1 GB each for the engine's image): stopped containers, dangling
# images, and every image wrangler tagged for the engine (cloudflare-dev/audioengine:<hash>)
# except the newest, whose layers are the build cache the next `wrangler dev` reuses.
# Never touches running containers.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

docker_cli container prune -f >/dev/null
newest="$(docker_cli images --format '{{.ID}}' cloudflare-dev/audioengine | head -n 1)"
docker_cli images --format '{{.Repository}}:{{.Tag}} {{.ID}}' cloudflare-dev/audioengine \
  | while read -r tag id; do
      # An image a running container uses cannot go; skip it quietly.
      [ "$id" = "$newest" ] || docker_cli rmi "$tag" >/dev/null 2>&1 || true
    done
docker_cli image prune -f >/dev/null
echo "docker prune: $(docker_cli images -q | wc -l) images left"
