/**
 * The servers the Worker tests drive, started once per test run (not once per pool start, as
 * starting them in cloudflareTest's options did): s3rver (a test double of S3), the fixture
 * media server (a stand-in for Twitch) and the real engine process. Their addresses reach the
 * Worker's bindings through `provide`/`inject`; the teardown stops all three.
 */
import type { TestProject } from "vitest/node";
import { startChannelBed } from "../../test/support/channel-bed.ts";
import { startEngineLink } from "../../test/support/engine-link.ts";
import { startEngineProcess } from "../../test/support/engine-process.ts";
import { startFixtureServer } from "../../test/support/fixture-server.ts";
import { startS3 } from "../../test/support/s3.ts";

export const TEST_SECRET = "worker-test-secret";

declare module "vitest" {
  export interface ProvidedContext {
    s3Env: Record<string, string>;
    fixtureUrl: string;
    engineUrl: string;
    /** How many requests the fuzz tier sends (test/fuzz.test.ts; empty: its default). */
    fuzzRequests: string;
    /** An engine whose pinned yt-dlp Twitch broke, and its stand-in release server (channel-bed.ts). */
    channelEngineUrl: string;
    releasesUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [s3, fixtures] = await Promise.all([startS3(), startFixtureServer()]);
  const engineEnv = {
    ...s3.env,
    HMAC_SHARED_SECRET: TEST_SECRET,
    CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate,
    STORE_VIDEO: "false",
    DOWNLOAD_TIMEOUT_SECONDS: "3",
  };
  // The channel bed first: the shared engine fetches channel builds from its releases too (a
  // clip retried after a promotion runs there), never from GitHub.
  const channel = await startChannelBed(engineEnv);
  const engine = await startEngineProcess({ ...engineEnv, ...channel.releaseEnv });
  // The Worker reaches the engines through a stand-in of the platform between them, which the
  // lifecycle tests use to break streams and roll engines out (test/lifecycle.test.ts).
  const link = await startEngineLink(engine.url, engineEnv, { drain60: 60, drain0: 0 });
  project.provide("s3Env", s3.env);
  project.provide("fixtureUrl", fixtures.url);
  project.provide("engineUrl", link.url);
  project.provide("fuzzRequests", process.env.FUZZ_REQUESTS ?? "");
  project.provide("channelEngineUrl", channel.engine.url);
  project.provide("releasesUrl", channel.releases.url);
  return async () => {
    await link.close();
    await Promise.all([engine.stop(), channel.close()]);
    await Promise.all([fixtures.close(), s3.close()]);
  };
}
