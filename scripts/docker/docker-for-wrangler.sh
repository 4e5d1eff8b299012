#!/usr/bin/env bash
# The docker binary wrangler runs (WRANGLER_DOCKER_BIN=scripts/docker/docker-for-wrangler.sh),
# for machines with Docker's legacy builder only (no buildx) and no Docker Hub:
# - `build`: drops --load and --provenance=… (buildx-only flags the legacy builder refuses)
#   and builds with DOCKER_BUILDKIT=0. CLIP_AUDIO_BASE_IMAGE and CLIP_AUDIO_YT_DLP_SOURCE, when
#   set, become the Dockerfile's BASE_IMAGE and YT_DLP_SOURCE build arguments (an offline
#   build: the local base image and Debian's old yt-dlp; see the Dockerfile). Every image gets
#   this checkout's label (lib.sh, CHECKOUT_LABEL), so prune.sh removes only this checkout's.
# - `pull IMAGE`: does nothing when IMAGE is already present (the local egress stand-in,
#   the base image), so nothing is fetched from a registry this machine cannot reach.
# Everything else goes to docker unchanged.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

case "${1:-}" in
  build)
    shift
    args=(build --label "$CHECKOUT_LABEL")
    [ -n "${CLIP_AUDIO_BASE_IMAGE:-}" ] && args+=(--build-arg "BASE_IMAGE=$CLIP_AUDIO_BASE_IMAGE")
    [ -n "${CLIP_AUDIO_YT_DLP_SOURCE:-}" ] && args+=(--build-arg "YT_DLP_SOURCE=$CLIP_AUDIO_YT_DLP_SOURCE")
    for arg in "$@"; do
      case "$arg" in
        --load | --provenance=*) ;;
        *) args+=("$arg") ;;
      esac
    done
    docker_build_legacy "${args[@]:1}"
    ;;
  pull)
    # The image is the first argument that is not an option (wrangler: pull IMAGE [--platform P]).
    image=""
    skip_next=false
    for arg in "${@:2}"; do
      if $skip_next; then skip_next=false; continue; fi
      case "$arg" in
        --platform) skip_next=true ;;
        -*) ;;
        *) image="$arg"; break ;;
      esac
    done
    if [ -n "$image" ] && docker_cli image inspect "$image" >/dev/null 2>&1; then
      echo "docker-for-wrangler: $image is present; not pulling"
      exit 0
    fi
    docker_cli "$@"
    ;;
  *)
    docker_cli "$@"
    ;;
esac
