#!/usr/bin/env bash
# Builds the stand-in for Cloudflare's egress sidecar (scripts/docker/egress-standin/) as
# $MINIFLARE_CONTAINER_EGRESS_IMAGE (default clip-audio-egress-standin:local), FROM the local
# base image. The CA certificate it serves on /ca is a throwaway self-signed one made here
# (nothing trusts it; workerd only needs /ca to answer). Skips when the image exists.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/docker/lib.sh

IMAGE="${MINIFLARE_CONTAINER_EGRESS_IMAGE:-clip-audio-egress-standin:local}"
BASE="${CLIP_AUDIO_BASE_IMAGE:-clip-audio-base:bookworm-node22}"
SRC=scripts/docker/egress-standin

if docker_cli image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "egress stand-in: $IMAGE exists"
  exit 0
fi
command -v openssl >/dev/null || apt_install openssl
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp "$SRC/server.mjs" "$SRC/Dockerfile" "$STAGE/"
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=clip-audio egress stand-in (local only)" \
  -keyout /dev/null -out "$STAGE/ca.pem" 2>/dev/null
docker_build_legacy -q --build-arg "BASE_IMAGE=$BASE" -t "$IMAGE" "$STAGE" >/dev/null
echo "egress stand-in: $IMAGE ready"
