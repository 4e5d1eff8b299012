/**
 * A follower's stream: heartbeats while a job is quiet, `released` at the request's
 * follow_seconds (the engine ends the stream, the job runs on and can be joined again).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../../shared/hmac.ts";
import { type JobEvent, JobStreamLine } from "../../shared/job.ts";
import { lines } from "../../shared/lines.ts";
import { type EngineProcess, startEngineProcess } from "../../test/support/engine-process.ts";
import { type FixtureServer, startFixtureServer } from "../../test/support/fixture-server.ts";
import { EventMailbox, pump } from "../src/job-stream.ts";

const SECRET = "engine-stream-secret";
let fixtures: FixtureServer;
let engine: EngineProcess;

beforeAll(async () => {
  fixtures = await startFixtureServer();
  engine = await startEngineProcess({
    HMAC_SHARED_SECRET: SECRET,
    CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate,
    STORE_VIDEO: "false",
    // A fresh folder each time: a clip found already processed would be skipped, not run.
    OUTPUT_DIR: mkdtempSync(join(tmpdir(), "engine-out-")),
  });
}, 60_000);
afterAll(async () => {
  await engine?.stop();
  await fixtures?.close();
});

async function stream(request: object): Promise<JobStreamLine[]> {
  const body = JSON.stringify(request);
  const headers = { "content-type": "application/json", ...(await signRequest(SECRET, body)) };
  const response = await fetch(`${engine.url}/jobs`, { method: "POST", body, headers });
  const seen: JobStreamLine[] = [];
  for await (const text of lines(response.body as ReadableStream<Uint8Array>))
    seen.push(JobStreamLine.parse(JSON.parse(text)));
  return seen;
}

describe("pump", () => {
  it("writes a heartbeat for each quiet interval, then the events, and ends with the final one", async () => {
    const mailbox = new EventMailbox();
    const written: JobStreamLine[] = [];
    const done = pump(mailbox, async (line) => written.push(line), { heartbeatMs: 100 });
    await new Promise((resolve) => setTimeout(resolve, 350));
    mailbox.push({ type: "state", stage: "downloading" });
    const failed: JobEvent = { type: "failed", error: { code: "not_found", message: "gone", retryable: false } };
    mailbox.push(failed);
    expect(await done).toBe("ended");
    const heartbeats = written.filter((line) => line.type === "heartbeat").length;
    expect(heartbeats).toBeGreaterThanOrEqual(2);
    expect(heartbeats).toBeLessThanOrEqual(4);
    expect(written.slice(-2)).toEqual([{ type: "state", stage: "downloading" }, failed]);
  });

  it("stops as soon as the follower goes away, and writes nothing more", async () => {
    const mailbox = new EventMailbox();
    const written: JobStreamLine[] = [];
    const done = pump(mailbox, async (line) => written.push(line), { heartbeatMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 120));
    const before = written.length;
    mailbox.close();
    expect(await done).toBe("gone");
    mailbox.push({ type: "state", stage: "downloading" });
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(written.length).toBe(before);
  });

  it("releases the follower at its deadline even while events keep coming", async () => {
    const mailbox = new EventMailbox();
    const written: JobStreamLine[] = [];
    const ticker = setInterval(() => mailbox.push({ type: "state", stage: "downloading" }), 20);
    const started = Date.now();
    const ended = await pump(mailbox, async (line) => written.push(line), { heartbeatMs: 1000, releaseAfterMs: 200 });
    clearInterval(ticker);
    expect(ended).toBe("released");
    expect(written.at(-1)).toEqual({ type: "released" });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe("the engine's job stream", () => {
  it("ends with `released` at follow_seconds; the job runs on and a follow request joins it", async () => {
    const started = Date.now();
    const first = await stream({ clip_id: "slow-release", follow_seconds: 1 });
    expect(first.at(-1)).toEqual({ type: "released" });
    expect(Date.now() - started).toBeLessThan(5_000);
    // Still running: a follow joins it (its events replayed) and is released again.
    const again = await stream({ clip_id: "slow-release", follow: true, follow_seconds: 1 });
    expect(again).toContainEqual({ type: "state", stage: "downloading" });
    expect(again.at(-1)).toEqual({ type: "released" });
    const health = (await (await fetch(`${engine.url}/health`)).json()) as { active_jobs: number };
    expect(health.active_jobs).toBe(1);
  }, 30_000);
});
