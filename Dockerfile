# The media engine's container: Node 22 (runs the TypeScript sources directly with type
# stripping, no build step), ffmpeg, and a current yt-dlp.
FROM node:22-bookworm-slim

# Twitch changes its private API a few times a year; when clips start failing with
# `extractor_outdated`, bump this one line and redeploy.
ARG YT_DLP_VERSION=2026.11.20

RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg ca-certificates curl python3 \
 && curl -fsSL -o /usr/local/bin/yt-dlp "https://github.com/yt-dlp/yt-dlp/releases/download/${YT_DLP_VERSION}/yt-dlp" \
 && chmod 0755 /usr/local/bin/yt-dlp \
 && apt-get purge -y curl && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY shared ./shared
COPY container/src ./container/src

ENV NODE_ENV=production PORT=8080 HOST=0.0.0.0 WORK_DIR=/tmp/clip-audio
USER node
EXPOSE 8080
CMD ["node", "container/src/server.ts"]
