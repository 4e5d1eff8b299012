#!/usr/bin/env bash
# Sends one signed request to clip-audio with curl.
#   HMAC_SHARED_SECRET=... scripts/signed-curl.sh METHOD URL [JSON_BODY] [extra curl args...]
# Signature version 2 (the default) covers the method, the path and the query too:
#   signature = hex(HMAC-SHA256(secret, METHOD \n path \n query \n timestamp \n nonce \n body))
# SIGNATURE_VERSION=1 signs the original way instead: hex(HMAC-SHA256(secret, body + timestamp + nonce)).
# GET/DELETE sign an empty body.
# An HTTP error status prints the response's body and exits non-zero (curl --fail-with-body: 22).
set -euo pipefail
if [ $# -lt 2 ] || [ -z "${HMAC_SHARED_SECRET:-}" ]; then
  echo "usage: HMAC_SHARED_SECRET=... [SIGNATURE_VERSION=1|2] $0 METHOD URL [JSON_BODY] [curl args...]" >&2
  exit 2
fi
method=${1^^} url=$2 body=${3:-}
shift $(( $# < 3 ? $# : 3 ))
ts=$(date +%s)
nonce=$(openssl rand -hex 16)
hmac() { openssl dgst -sha256 -hmac "$HMAC_SHARED_SECRET" -r | cut -d' ' -f1; }
args=(-sS --fail-with-body -X "$method" "$url" -H "X-Request-Timestamp: $ts" -H "X-Request-Nonce: $nonce")
case ${SIGNATURE_VERSION:-2} in
  1) sig=$(printf '%s%s%s' "$body" "$ts" "$nonce" | hmac) ;;
  2)
    # The path and query exactly as curl sends them: everything after the host, up to any '#'.
    rest=${url#*://}
    rest=${rest%%#*}
    host=${rest%%[/?]*}
    target=${rest#"$host"}
    path=${target%%\?*}
    path=${path:-/}
    query=
    if [[ $target == *\?* ]]; then query=${target#*\?}; fi
    sig=$(printf '%s\n%s\n%s\n%s\n%s\n%s' "$method" "$path" "$query" "$ts" "$nonce" "$body" | hmac)
    args+=(-H "X-Request-Signature-Version: 2")
    ;;
  *)
    echo "SIGNATURE_VERSION must be 1 or 2" >&2
    exit 2
    ;;
esac
args+=(-H "X-Request-Signature: $sig")
if [ -n "$body" ]; then args+=(-H "Content-Type: application/json" --data-binary "$body"); fi
exec curl "${args[@]}" "$@"
