#!/usr/bin/env bash
# Starts a Docker engine for the container test tier, if none answers yet. Idempotent.
#
# - Installs Debian's docker.io (dockerd + a docker client) when dockerd is missing.
# - Runs dockerd as root with the flags this kind of machine needs (see ../../README.md, "Tests"):
#   --storage-driver       overlay2 when this kernel mounts overlayfs (probed), else vfs, which
#                          works everywhere but copies the whole filesystem for every layer and
#                          every container (~1 GB each for the engine's image); override with
#                          CLIP_AUDIO_DOCKER_STORAGE_DRIVER
#   --bip=172.17.0.1/16    (otherwise Debian's dockerd leaves the bridge gateway empty and
#                           workerd fails with "getaddrinfo(): DNS lookup failed. host = ;")
#   its own --data-root and --exec-root, so it never touches another engine's state.
# - Waits until `docker info` answers. Logs go to $CLIP_AUDIO_DOCKER_DIR/dockerd.log.
set -euo pipefail

DATA_DIR="${CLIP_AUDIO_DOCKER_DIR:-/var/lib/clip-audio-docker}"
EXEC_ROOT="${CLIP_AUDIO_DOCKER_EXEC_ROOT:-/run/clip-audio-docker}"
# Time dockerd may take to answer; a first start on vfs on a busy machine is slow.
WAIT_SECONDS=60

source "$(dirname "$0")/lib.sh"

# workerd finds the host through the default bridge's gateway, and our test services listen there.
check_bridge() {
  local gateway
  gateway="$(docker_cli network inspect bridge --format '{{range .IPAM.Config}}{{.Gateway}}{{end}}' 2>/dev/null || true)"
  if [ "$gateway" != "172.17.0.1" ]; then
    echo "dockerd: the bridge network's gateway is '${gateway}', not 172.17.0.1; wrangler dev's containers" >&2
    echo "  need it (start dockerd with --bip=172.17.0.1/16, as this script does)" >&2
    exit 1
  fi
}

if docker_cli info >/dev/null 2>&1; then
  echo "dockerd: already running"
  check_bridge
  exit 0
fi

if ! command -v dockerd >/dev/null; then
  echo "dockerd: installing Debian's docker.io"
  apt_install docker.io
fi
if [ "$(id -u)" != 0 ]; then
  echo "dockerd: must run as root to start the engine" >&2
  exit 1
fi

# overlay2 needs a working overlayfs mount (not every sandbox or nested container allows one).
overlay_works() {
  local dir ok=1
  dir="$(mktemp -d)"
  mkdir -p "$dir/lower" "$dir/upper" "$dir/work" "$dir/merged"
  if mount -t overlay overlay -o "lowerdir=$dir/lower,upperdir=$dir/upper,workdir=$dir/work" "$dir/merged" 2>/dev/null; then
    umount "$dir/merged"
    ok=0
  fi
  rm -rf "$dir"
  return "$ok"
}

DRIVER="${CLIP_AUDIO_DOCKER_STORAGE_DRIVER:-}"
if [ -z "$DRIVER" ]; then
  if overlay_works; then DRIVER=overlay2; else DRIVER=vfs; fi
fi

mkdir -p "$DATA_DIR" "$EXEC_ROOT"

# Starts dockerd with storage driver $1 and waits until it answers; fails when it exits or times out.
start_dockerd() {
  echo "dockerd: starting with $1 storage (data $DATA_DIR, log $DATA_DIR/dockerd.log)"
  # setsid: the engine outlives this script and the shell that ran it.
  setsid dockerd \
    --storage-driver="$1" \
    --bip=172.17.0.1/16 \
    --data-root="$DATA_DIR/data" \
    --exec-root="$EXEC_ROOT" \
    --pidfile="$EXEC_ROOT/dockerd.pid" \
    </dev/null >>"$DATA_DIR/dockerd.log" 2>&1 &
  local pid=$!
  for _ in $(seq "$WAIT_SECONDS"); do
    if docker_cli info >/dev/null 2>&1; then
      echo "dockerd: ready"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  echo "dockerd: did not come up with $1 storage; last log lines:" >&2
  tail -n 20 "$DATA_DIR/dockerd.log" >&2
  kill "$pid" 2>/dev/null || true
  return 1
}

if start_dockerd "$DRIVER"; then
  check_bridge
  exit 0
fi
# overlayfs mounts but dockerd refused overlay2 (e.g. a data root on an unsupported filesystem).
if [ "$DRIVER" = overlay2 ] && [ -z "${CLIP_AUDIO_DOCKER_STORAGE_DRIVER:-}" ] && start_dockerd vfs; then
  check_bridge
  exit 0
fi
exit 1
