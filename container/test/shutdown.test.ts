/**
 * SIGTERM drains: the engine stops taking jobs, cancels the running ones, lets their streams
 * carry the final event to the caller (it awaits server.close()), and only then exits 0.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { signRequest } from "../../shared/hmac.ts";
import { JobEvent } from "../../shared/job.ts";
import { lines } from "../../shared/lines.ts";
import { type EngineProcess, startEngineProcess } from "../../test/support/engine-process.ts";
import { type FixtureServer, startFixtureServer } from "../../test/support/fixture-server.ts";

const SECRET = "engine-shutdown-secret";
let fixtures: FixtureServer;
let engine: EngineProcess;

beforeAll(async () => {
  fixtures = await startFixtureServer();
  engine = await startEngineProcess({
    HMAC_SHARED_SECRET: SECRET,
    CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate,
    STORE_VIDEO: "false",
  });
}, 60_000);
afterAll(async () => {
  await engine?.stop();
  await fixtures?.close();
});

it("on SIGTERM ends a running job's stream with its cancelled event, then exits 0", async () => {
  const body = JSON.stringify({ clip_id: "slow-shutdown" });
  const headers = { "content-type": "application/json", ...(await signRequest(SECRET, body)) };
  const response = await fetch(`${engine.url}/jobs`, { method: "POST", body, headers });
  const seen: JobEvent[] = [];
  let signalled = false;
  for await (const line of lines(response.body as ReadableStream<Uint8Array>)) {
    seen.push(JobEvent.parse(JSON.parse(line)));
    // The slow source never finishes by itself: stop the engine once the job is downloading.
    if (!signalled && seen.some((e) => e.type === "state" && e.stage === "downloading")) {
      signalled = engine.process.kill("SIGTERM");
    }
  }
  expect(signalled).toBe(true);
  expect(seen.at(-1)).toMatchObject({ type: "failed", error: { code: "cancelled" } });
  expect((await engine.process).exitCode).toBe(0);
}, 30_000);
