#!/usr/bin/env bash
# Sends one signed request to clip-audio with curl.
#   HMAC_SHARED_SECRET=... scripts/signed-curl.sh METHOD URL [JSON_BODY] [extra curl args...]
# signature = hex(HMAC-SHA256(secret, body + timestamp + nonce)); GET/DELETE sign an empty body.
# An HTTP error status prints the response's body and exits non-zero (curl --fail-with-body: 22).
set -euo pipefail
if [ $# -lt 2 ] || [ -z "${HMAC_SHARED_SECRET:-}" ]; then
  echo "usage: HMAC_SHARED_SECRET=... $0 METHOD URL [JSON_BODY] [curl args...]" >&2
  exit 2
fi
method=$1 url=$2 body=${3:-}
shift $(( $# < 3 ? $# : 3 ))
ts=$(date +%s)
nonce=$(openssl rand -hex 16)
sig=$(printf '%s%s%s' "$body" "$ts" "$nonce" | openssl dgst -sha256 -hmac "$HMAC_SHARED_SECRET" -r | cut -d' ' -f1)
args=(-sS --fail-with-body -X "$method" "$url" -H "X-Request-Timestamp: $ts" -H "X-Request-Nonce: $nonce" -H "X-Request-Signature: $sig")
if [ -n "$body" ]; then args+=(-H "Content-Type: application/json" --data-binary "$body"); fi
exec curl "${args[@]}" "$@"
