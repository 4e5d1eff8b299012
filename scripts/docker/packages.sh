#!/usr/bin/env bash
# The npm packages the Docker setup needs: base-image.sh puts their Node 22
# (node_modules/node/bin/node, the "node" dev dependency) into the local base image. Installs
# them with `npm ci` when missing, so prepare.sh works as the first command on a fresh checkout.
# As root on a checkout another user owns (`sudo` from that user) it stops instead, naming the
# fix: a root-owned node_modules would break that user's `npm start`.
set -euo pipefail
cd "$(dirname "$0")/../.."

NODE_BIN="node_modules/node/bin/node"
[ -x "$NODE_BIN" ] && exit 0
if [ "$(stat -c %u .)" != "$(id -u)" ]; then
  echo "npm packages: $NODE_BIN is missing (the local base image takes its Node 22 from it)." >&2
  echo "  Install the packages as the checkout's owner first: npm ci (or npm start once); then run this again." >&2
  exit 1
fi
command -v npm >/dev/null || { echo "npm packages: npm is not on PATH (install Node.js 20 or newer with npm)" >&2; exit 1; }
echo "npm packages: $NODE_BIN missing; running npm ci"
npm ci --no-audit --no-fund
[ -x "$NODE_BIN" ] || { echo "npm packages: npm ci did not install $NODE_BIN (the \"node\" dev dependency)" >&2; exit 1; }
