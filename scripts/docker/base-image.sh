#!/usr/bin/env bash
# Builds the local stand-in for `node:22-bookworm-slim` (Docker Hub cannot be reached here):
# Debian bookworm (debootstrap --variant=minbase) + the Node 22 binary that `npm install`
# put in node_modules/node + npm, with a `node` user (uid 1000) like the official image.
# Imported as $CLIP_AUDIO_BASE_IMAGE (default clip-audio-base:bookworm-node22).
# Skips when the image exists; the debootstrap tree is cached in $CLIP_AUDIO_DOCKER_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/docker/lib.sh

IMAGE="${CLIP_AUDIO_BASE_IMAGE:-clip-audio-base:bookworm-node22}"
CACHE="${CLIP_AUDIO_DOCKER_DIR:-/var/lib/clip-audio-docker}/cache"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
NODE_BIN="node_modules/node/bin/node"

if docker_cli image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "base image: $IMAGE exists"
  exit 0
fi
[ -x "$NODE_BIN" ] || { echo "base image: $NODE_BIN missing; run npm ci first" >&2; exit 1; }
"$NODE_BIN" -e 'process.exit(Number(process.versions.node.split(".")[0]) === 22 ? 0 : 1)' \
  || { echo "base image: $NODE_BIN is not Node 22" >&2; exit 1; }
# npm for `npm ci` in the Dockerfile: the one beside the host's node (npm 10/11 run on Node 22).
NPM_DIR="$(npm root -g 2>/dev/null)/npm"
[ -f "$NPM_DIR/bin/npm-cli.js" ] || { echo "base image: npm not found at $NPM_DIR" >&2; exit 1; }
command -v debootstrap >/dev/null || apt_install debootstrap

mkdir -p "$CACHE"
ROOTFS="$CACHE/bookworm-minbase"
if [ ! -f "$ROOTFS/.complete" ]; then
  echo "base image: debootstrap bookworm (minbase) into $ROOTFS (about 2 minutes)"
  rm -rf "$ROOTFS"
  debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -n 20 "$CACHE/debootstrap.log" >&2; exit 1; }
  # Smaller image: no apt lists or downloaded packages (the Dockerfile runs apt-get update).
  rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/archives/*.deb
  touch "$ROOTFS/.complete"
fi

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/usr/local/bin" "$STAGE/usr/local/lib/node_modules"
cp "$NODE_BIN" "$STAGE/usr/local/bin/node"
cp -a "$NPM_DIR" "$STAGE/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$STAGE/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$STAGE/usr/local/bin/npx"
# npm in the image trusts what this host trusts: the registry may be reached through a
# TLS-intercepting egress proxy whose CA only the host's bundle holds (the official
# node image needs nothing like it). npm only; the engine's own TLS is unaffected.
HOST_CA="${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}"
mkdir -p "$STAGE/usr/local/etc"
if [ -f "$HOST_CA" ]; then
  cp "$HOST_CA" "$STAGE/usr/local/etc/host-ca-certificates.crt"
  echo "cafile=/usr/local/etc/host-ca-certificates.crt" >"$STAGE/usr/local/etc/npmrc"
fi

echo "base image: importing $IMAGE"
# The rootfs plus Node, then the node user, in one import (no Dockerfile: nothing to pull FROM).
(
  tar -C "$ROOTFS" --exclude=./.complete -c .
) | docker_cli import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' \
  - "$IMAGE-rootfs" >/dev/null
# Second layer: Node, npm and the user, added with a build from the local rootfs image.
cat >"$STAGE/Dockerfile" <<DOCKERFILE
FROM $IMAGE-rootfs
COPY usr/local /usr/local
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version && npm --version
DOCKERFILE
docker_build_legacy -q -t "$IMAGE" "$STAGE" >/dev/null
docker_cli rmi "$IMAGE-rootfs" >/dev/null
echo "base image: $IMAGE ready ($(docker_cli run --rm "$IMAGE" node --version))"
