/**
 * The container tier (`npm run test:container`, not part of `npm test`): the Worker under
 * `wrangler dev` with real containers, i.e. the real `AudioEngine` class from
 * @cloudflare/containers starting the image built from our Dockerfile under Docker, writing
 * into s3rver (a test double of S3), clips from the local fixture server (Twitch cannot be
 * reached here). global-setup.ts starts all of it once; it needs root and Docker (see
 * scripts/docker/). Slow the first time: the image is built on dockerd's vfs storage.
 */
import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "container",
    root: `${import.meta.dirname}/../..`,
    environment: "node",
    include: ["test/container/**/*.test.ts"],
    globalSetup: ["test/container/global-setup.ts"],
    // One stack for the whole tier; its tests share it and run one after another.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
