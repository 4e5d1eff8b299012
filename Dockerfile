# The media engine's container: Node 22 (runs the TypeScript sources directly with type
# stripping, no build step), ffmpeg, and yt-dlp.
#
# Build arguments (wrangler passes `image_vars` as build arguments):
#   BASE_IMAGE     node:22-bookworm-slim in production. Offline test builds use a local image
#                  made from Debian packages (scripts/docker/base-image.sh).
#   YT_DLP_SOURCE  `release` (default, production): the release pinned in
#                  container/yt-dlp.release, its sha256 verified. `debian`: Debian's own yt-dlp
#                  (2023.03.04, far too old for today's Twitch) for offline test builds whose
#                  clips come from local fixtures; never deploy such an image.
ARG BASE_IMAGE=node:22-bookworm-slim
FROM ${BASE_IMAGE}
ARG YT_DLP_SOURCE=release

# Settings first, code last: on a slow builder (dockerd on vfs copies the whole filesystem for
# every step) a change to the sources then rebuilds one step.
# A 1 MB young generation keeps the stream buffers that pass through Node from growing the heap
# with input length (bench: peak RSS 30 min / 60 s from 1.23x to 1.19x).
# No NODE_ENV: the engine's environment is the Worker's ENVIRONMENT, forwarded with its settings
# (production in a deployment, development under `npm start`), so both apply the same guards.
# No engine setting at all (shared/config.ts engineEnvSchema): those come from the Worker alone,
# or the settings fingerprint would never match the Worker's (test/deploy/image-env.test.ts).
# The engine starts as root and switches to RUN_AS_USER itself, before it reads a request or
# starts a tool: the kernel then hides its environment (the secrets) from that user's other
# processes, yt-dlp and ffmpeg (container/src/privileges.ts). So no `USER` here.
ENV PORT=8080 HOST=0.0.0.0 WORK_DIR=/tmp/clip-audio NODE_OPTIONS=--max-semi-space-size=1 RUN_AS_USER=node
EXPOSE 8080
CMD ["node", "container/src/server.ts"]
WORKDIR /app

# Where release assets are fetched from: `<base>/<version>/yt-dlp` (a test points it at a local
# server to check that a file with another checksum fails the build).
ARG YT_DLP_DOWNLOAD_BASE=https://github.com/yt-dlp/yt-dlp/releases/download
COPY container/yt-dlp.release /tmp/yt-dlp.release
# The release is fetched and verified first (with the base image's Node: no curl to install and
# purge), so a bad pin fails the build in seconds, before any package is installed.
RUN set -eu; \
    case "$YT_DLP_SOURCE" in \
    release) \
      version="$(sed -n 's/^version=//p' /tmp/yt-dlp.release)"; \
      sha256="$(sed -n 's/^sha256=//p' /tmp/yt-dlp.release)"; \
      if [ -z "$version" ] || [ -z "$sha256" ]; then \
        echo "container/yt-dlp.release must name a version and its sha256" >&2; exit 1; \
      fi; \
      node -e 'fetch(process.argv[1]).then(async (r) => { if (!r.ok) throw new Error(`HTTP ${r.status} for ${process.argv[1]}`); require("node:fs").writeFileSync(process.argv[2], Buffer.from(await r.arrayBuffer())); })' \
        "${YT_DLP_DOWNLOAD_BASE}/${version}/yt-dlp" /usr/local/bin/yt-dlp; \
      echo "${sha256}  /usr/local/bin/yt-dlp" | sha256sum -c - \
        || { echo "yt-dlp ${version}: sha256 differs from container/yt-dlp.release" >&2; exit 1; }; \
      chmod 0755 /usr/local/bin/yt-dlp; \
      apt-get update; \
      apt-get install -y --no-install-recommends ffmpeg ca-certificates python3; \
      echo "yt-dlp ${version} (release, sha256 verified)" > /etc/clip-audio-yt-dlp; \
      ;; \
    debian) \
      apt-get update; \
      apt-get install -y --no-install-recommends ffmpeg ca-certificates yt-dlp; \
      echo "yt-dlp $(yt-dlp --version) from Debian: OLD, for offline tests with local fixtures only; it cannot read today's Twitch. NOT FOR DEPLOYMENT." \
        | tee /etc/clip-audio-yt-dlp >&2; \
      ;; \
    *) echo "YT_DLP_SOURCE must be release or debian, not '$YT_DLP_SOURCE'" >&2; exit 1 ;; \
    esac; \
    rm -rf /var/lib/apt/lists/* /tmp/yt-dlp.release

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# The sources: exactly what .dockerignore lets into the build context (shared/, container/src/,
# yt-dlp's pinned release and signing key).
COPY . .
