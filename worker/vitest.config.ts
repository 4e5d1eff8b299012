/**
 * Worker tests run inside workerd (real Durable Objects, real R2). The media engine they drive
 * is the real container service process on 127.0.0.1, writing into s3rver (a test double of
 * S3) that the Worker reads through its S3 storage; the clips come from the local fixture
 * server (Twitch cannot be reached here). All three start once, in test/global-setup.ts, and
 * end with the test run.
 */
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { build } from "esbuild";
import { defineProject } from "vitest/config";
import { unstable_readConfig } from "wrangler";
import { TEST_SECRET } from "./test/global-setup.ts";

/** The example caller Worker as one ES module (miniflare runs JavaScript, not TypeScript). */
async function bundleCaller(): Promise<string> {
  const result = await build({
    entryPoints: [new URL("../examples/recap-caller/src/index.ts", import.meta.url).pathname],
    bundle: true,
    format: "esm",
    platform: "neutral",
    write: false,
    external: ["cloudflare:*"],
  });
  return result.outputFiles[0]?.text ?? "";
}

/**
 * The example caller, once per binding: its name (the env binding the tests reach it by, in
 * test/env.d.ts) → the binding's props. `null`: a binding without props, which is refused.
 */
const CALLERS: Record<string, Record<string, string> | null> = {
  RECAP_CALLER: { caller: "recap" },
  DIGEST_CALLER: { caller: "digest" },
  FLOOD_CALLER: { caller: "flood" },
  RETRY_CALLER: { caller: "retry" },
  ANONYMOUS_CALLER: null,
};

/**
 * The Worker under test as the plugin names it (`vitest-plugin-runner-<project>`): it runs our
 * main module, so its ClipAudioService is ours. The plugin points only the Worker under test's
 * own bindings at it, not auxiliary Workers' bindings to its configured name ("clip-audio").
 */
const WORKER_UNDER_TEST = "vitest-plugin-runner-worker";

/** The example caller's own configuration, where its compatibility date is written. */
const callerConfig = unstable_readConfig({
  config: new URL("../examples/recap-caller/wrangler.toml", import.meta.url).pathname,
});

function callerWorkers(script: string) {
  return Object.entries(CALLERS).map(([binding, props]) => ({
    name: binding.toLowerCase().replace(/_/g, "-"),
    modules: true,
    script,
    compatibilityDate: callerConfig.compatibility_date,
    serviceBindings: {
      CLIP_AUDIO: { name: WORKER_UNDER_TEST, entrypoint: "ClipAudioService", ...(props ? { props } : {}) },
    },
  }));
}

export default defineProject({
  plugins: [
    // Called on every pool start: it only reads what the global setup started once.
    cloudflareTest(async ({ inject }) => {
      const callerScript = await bundleCaller();
      const s3Env = inject("s3Env");
      return {
        wrangler: { configPath: "../wrangler.toml" },
        miniflare: {
          bindings: {
            ENVIRONMENT: "test",
            HMAC_SHARED_SECRET: TEST_SECRET,
            CONTAINER_URL: inject("engineUrl"),
            ...s3Env,
            CALLBACK_HOSTS: "127.0.0.1",
            // Background jobs longer than a second are handed from one alarm to the next.
            JOB_FOLLOW_SECONDS: "1",
            // The image's pin only, whatever wrangler.toml's production value: the shared engine
            // has no release server; the channel tests set their policy per call.
            EXTRACTOR_CHANNEL: "pinned",
            // Test output is what failed, not a line per request.
            LOG_LEVEL: "warn",
          },
          serviceBindings: Object.fromEntries(
            Object.keys(CALLERS).map((binding) => [binding, binding.toLowerCase().replace(/_/g, "-")]),
          ),
          workers: callerWorkers(callerScript),
        },
      };
    }),
  ],
  test: {
    name: "worker",
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    globalSetup: ["./test/global-setup.ts"],
  },
});
