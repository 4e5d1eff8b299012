# Shared helpers for scripts/docker/*.sh (sourced, not run).

# The docker client: Debian's /usr/bin/docker or any other on PATH (e.g. /usr/local/bin/docker).
docker_cli() {
  if command -v docker >/dev/null; then docker "$@"; else /usr/bin/docker "$@"; fi
}

# apt-get install without prompts (CI has no stdin).
apt_install() {
  if [ -z "${CLIP_AUDIO_APT_UPDATED:-}" ]; then
    apt-get update -qq
    export CLIP_AUDIO_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" </dev/null
}

# `docker build` with the legacy builder (there is no buildx here), without its deprecation notice.
docker_build_legacy() {
  DOCKER_BUILDKIT=0 docker_cli build "$@" 2> >(grep -v -E 'DEPRECATED: The legacy builder|BuildKit|buildx|docs\.docker\.com/go/buildx|environment-variable\.|^\s*$' >&2)
}

# The label that marks what this checkout builds and runs (its engine images, their containers):
# a dockerd shared by several checkouts then prunes only its own (scripts/docker/prune.sh).
CHECKOUT_LABEL="dev.clip-audio.checkout=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
