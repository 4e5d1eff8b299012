/**
 * SIGTERM drains (Cloudflare sends it on every rollout and host move, then allows 15 minutes):
 * the engine refuses new jobs with a retryable `engine_restarting`, lets running jobs finish
 * within DRAIN_SECONDS, cuts off what is still running then as `engine_restarting` (retryable,
 * never `cancelled`), delivers every final event and exits 0. SIGINT (Ctrl-C) cuts off at once.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../../shared/hmac.ts";
import { JobStreamLine } from "../../shared/job.ts";
import { lines } from "../../shared/lines.ts";
import { type EngineProcess, startEngineProcess } from "../../test/support/engine-process.ts";
import { type FixtureServer, startFixtureServer } from "../../test/support/fixture-server.ts";

const SECRET = "engine-shutdown-secret";
let fixtures: FixtureServer;
let engine: EngineProcess | undefined;

beforeAll(async () => {
  fixtures = await startFixtureServer();
}, 60_000);
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
});
afterAll(async () => fixtures?.close());

async function startEngine(drainSeconds: number): Promise<EngineProcess> {
  engine = await startEngineProcess({
    HMAC_SHARED_SECRET: SECRET,
    CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate,
    STORE_VIDEO: "false",
    // A fresh folder each time: a clip found already processed would be skipped, not run.
    OUTPUT_DIR: mkdtempSync(join(tmpdir(), "engine-out-")),
    DRAIN_SECONDS: String(drainSeconds),
  });
  return engine;
}

async function postJob(url: string, request: object): Promise<Response> {
  const body = JSON.stringify(request);
  const headers = { "content-type": "application/json", ...(await signRequest(SECRET, body)) };
  return fetch(`${url}/jobs`, { method: "POST", body, headers });
}

/** Reads a job stream, calling `onLine` with each line as it arrives. */
async function follow(response: Response, onLine: (line: JobStreamLine) => void | Promise<void> = () => undefined) {
  const seen: JobStreamLine[] = [];
  for await (const text of lines(response.body as ReadableStream<Uint8Array>)) {
    const line = JobStreamLine.parse(JSON.parse(text));
    seen.push(line);
    await onLine(line);
  }
  return seen;
}

const downloading = (line: JobStreamLine) => line.type === "state" && line.stage === "downloading";

/** SIGTERM straight to the process: the test helper's own stop() would SIGKILL after 2 s. */
const sigterm = (target: EngineProcess) => process.kill(target.process.pid as number, "SIGTERM");

describe("SIGTERM", () => {
  it("lets a running job finish, refuses a new one (503 engine_restarting), re-attaches a follower, exits 0", async () => {
    const target = await startEngine(60);
    let refused: Response | undefined;
    let rejoined: Promise<JobStreamLine[]> | undefined;
    const seen = await follow(await postJob(target.url, { clip_id: "paced-drain" }), async (line) => {
      if (!downloading(line) || refused) return;
      sigterm(target);
      // The engine drains, but still answers: a new clip is refused, the running one can be followed.
      await new Promise((resolve) => setTimeout(resolve, 200));
      refused = await postJob(target.url, { clip_id: "tone-during-drain" });
      rejoined = postJob(target.url, { clip_id: "paced-drain", follow: true }).then((r) => follow(r));
    });
    expect(seen.at(-1)).toMatchObject({ type: "completed", result: { clip_id: "paced-drain" } });
    expect(refused?.status).toBe(503);
    expect(await refused?.json()).toMatchObject({ code: "engine_restarting" });
    expect((await rejoined)?.at(-1)).toMatchObject({ type: "completed" });
    expect((await target.process).exitCode).toBe(0);
  }, 60_000);

  it("cuts off a job still running after DRAIN_SECONDS as engine_restarting (retryable), then exits 0", async () => {
    const target = await startEngine(1);
    const started = Date.now();
    const seen = await follow(await postJob(target.url, { clip_id: "slow-drain" }), (line) => {
      if (downloading(line)) sigterm(target);
    });
    expect(seen.at(-1)).toMatchObject({ type: "failed", error: { code: "engine_restarting", retryable: true } });
    expect((await target.process).exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);
});

describe("SIGINT", () => {
  it("cuts a running job off at once, with DRAIN_SECONDS long", async () => {
    const target = await startEngine(600);
    const seen = await follow(await postJob(target.url, { clip_id: "slow-int" }), (line) => {
      if (downloading(line)) target.process.kill("SIGINT");
    });
    expect(seen.at(-1)).toMatchObject({ type: "failed", error: { code: "engine_restarting" } });
    expect((await target.process).exitCode).toBe(0);
  }, 30_000);
});
