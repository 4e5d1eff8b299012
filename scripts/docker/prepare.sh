#!/usr/bin/env bash
# Everything `wrangler dev` needs to run the real container on a machine without Docker Hub:
# a running dockerd, the local base image, and the local stand-in for Cloudflare's egress
# sidecar. Each step skips what already exists, so this is cheap to run before every start.
# Old engine images are pruned first (vfs makes each one cost gigabytes).
set -euo pipefail
cd "$(dirname "$0")"
./dockerd.sh
./prune.sh
./base-image.sh
./egress-image.sh
