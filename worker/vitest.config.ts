/**
 * Worker tests run inside workerd (real Durable Objects, real R2). The media engine they drive
 * is the real container service process on 127.0.0.1, writing into s3rver (a test double of
 * S3) that the Worker reads through its S3 storage; the clips come from the local fixture
 * server (Twitch cannot be reached here). All three start when this config loads and end with
 * the test run.
 */
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineProject } from "vitest/config";
import { startEngineProcess } from "../test/support/engine-process.ts";
import { startFixtureServer } from "../test/support/fixture-server.ts";
import { startS3 } from "../test/support/s3.ts";

export const TEST_SECRET = "worker-test-secret";

export default defineProject({
  plugins: [
    cloudflareTest(async () => {
      const [s3, fixtures] = await Promise.all([startS3(), startFixtureServer()]);
      const engine = await startEngineProcess({
        ...s3.env,
        HMAC_SHARED_SECRET: TEST_SECRET,
        CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate,
        STORE_VIDEO: "false",
        DOWNLOAD_TIMEOUT_SECONDS: "3",
      });
      return {
        wrangler: { configPath: "../wrangler.toml" },
        miniflare: {
          bindings: {
            ENVIRONMENT: "test",
            HMAC_SHARED_SECRET: TEST_SECRET,
            CONTAINER_URL: engine.url,
            ...s3.env,
            FIXTURE_URL: fixtures.url,
            CALLBACK_HOSTS: "127.0.0.1",
            // Background jobs longer than a second are handed from one alarm to the next.
            JOB_FOLLOW_SECONDS: "1",
            // How many requests the fuzz tier sends (test/fuzz.test.ts; empty: its default).
            FUZZ_REQUESTS: process.env.FUZZ_REQUESTS ?? "",
          },
        },
      };
    }),
  ],
  test: { name: "worker", include: ["test/**/*.test.ts"], testTimeout: 30_000 },
});
