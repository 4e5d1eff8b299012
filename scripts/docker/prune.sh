#!/usr/bin/env bash
# Frees the disk that this checkout's local builds pile up (vfs keeps a full copy of the
# filesystem per layer, about 1 GB each for the engine's image): its stopped containers, its
# untagged images, and every engine image it built (cloudflare-dev/audioengine:<hash>) except
# the newest, whose layers are the build cache the next `wrangler dev` reuses.
# "Its": labelled with this checkout (lib.sh, CHECKOUT_LABEL; docker-for-wrangler.sh labels every
# build), so on a dockerd shared by several checkouts another one's images are never touched.
# Never touches running containers.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ours=(--filter "label=$CHECKOUT_LABEL")
docker_cli container prune -f "${ours[@]}" >/dev/null
# Newest first, as `docker images` lists them.
mapfile -t engine_images < <(docker_cli images "${ours[@]}" --format '{{.Repository}}:{{.Tag}} {{.ID}}' cloudflare-dev/audioengine)
newest="${engine_images[0]:-}"
newest="${newest##* }"
for line in "${engine_images[@]}"; do
  tag="${line% *}"
  id="${line##* }"
  # An image a running container uses cannot go; skip it quietly.
  [ "$id" = "$newest" ] || docker_cli rmi "$tag" >/dev/null 2>&1 || true
done
docker_cli image prune -f "${ours[@]}" >/dev/null
echo "docker prune: $(docker_cli images -q "${ours[@]}" | wc -l) images of this checkout left"
