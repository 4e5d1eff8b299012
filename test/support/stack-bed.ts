/**
 * What the end-to-end tests start from: the whole local stack as `npm start` runs it
 * (scripts/stack.ts: s3rver, the engine process, `wrangler dev`) on free ports, with clips from
 * the fixture server (a stand-in for Twitch), started before the file's tests and stopped after.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { freePort, type Stack, type StackOptions, startStack } from "../../scripts/stack.ts";
import { type FixtureServer, startFixtureServer } from "./fixture-server.ts";

export interface StackBed {
  stack: Stack;
  fixtures: FixtureServer;
}

/** Registers the file's beforeAll/afterAll; the fields are there once beforeAll has run. */
export function stackBed(secret: string, options: Pick<StackOptions, "frontConfig"> = {}): StackBed {
  const bed = {} as StackBed;
  let dataDir: string | undefined;
  beforeAll(async () => {
    bed.fixtures = await startFixtureServer();
    dataDir = await mkdtemp(join(tmpdir(), "clip-audio-e2e-"));
    const [worker, container, bucket, inspector] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    bed.stack = await startStack({
      ports: { worker, container, bucket, inspector },
      dataDir,
      ...options,
      env: {
        HMAC_SHARED_SECRET: secret,
        CLIP_SOURCE_URL_TEMPLATE: bed.fixtures.clipTemplate,
        STORE_VIDEO: "false",
        DOWNLOAD_TIMEOUT_SECONDS: "20",
      },
    });
  }, 120_000);
  afterAll(async () => {
    await bed.stack?.stop();
    await bed.fixtures?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  return bed;
}
