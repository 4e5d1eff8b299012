#!/usr/bin/env bash
# Everything `wrangler dev` needs to run the real container on a machine without Docker Hub:
# the npm packages (their Node 22 goes into the base image), a running dockerd, the local base
# image, and the local stand-in for Cloudflare's egress sidecar. Each step skips what already
# exists, so this is cheap to run before every start, and works as the first command on a fresh
# checkout. This checkout's old engine images are pruned first (vfs makes each one cost gigabytes).
set -euo pipefail
cd "$(dirname "$0")"
./packages.sh
./dockerd.sh
./prune.sh
./base-image.sh
./egress-image.sh
