/**
 * The engine owns its jobs: a follower that comes back gets the result of the job that ran
 * (not a new run), and a canary job runs the whole pipeline without touching the bucket.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { FinalJobEvent, JobEvent, JobRequestInput } from "../../shared/job.ts";
import { JobRequest } from "../../shared/job.ts";
import { type FixtureServer, startFixtureServer } from "../../test/support/fixture-server.ts";
import { loadConfig } from "../src/config.ts";
import { JobManager } from "../src/jobs.ts";
import { LocalSink } from "../src/sinks/local.ts";

let fixtures: FixtureServer;
let dir: string;
let jobs: JobManager;

beforeAll(async () => {
  fixtures = await startFixtureServer();
  dir = await mkdtemp(join(tmpdir(), "jobs-"));
  const config = loadConfig({
    CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate,
    WORK_DIR: join(dir, "work"),
    STORE_VIDEO: "false",
  });
  jobs = new JobManager(config, new LocalSink(join(dir, "out")));
}, 120_000);

afterAll(async () => {
  await fixtures.close();
  await rm(dir, { recursive: true, force: true });
});

/** Subscribes and resolves with every event up to the final one. */
function run(request: JobRequestInput): Promise<JobEvent[]> {
  return new Promise((resolve) => {
    const events: JobEvent[] = [];
    const { unsubscribe } = jobs.subscribe(JobRequest.parse(request), (event) => {
      events.push(event);
      if (event.type === "completed" || event.type === "failed") {
        queueMicrotask(() => unsubscribe());
        resolve(events);
      }
    });
  });
}

const final = (events: JobEvent[]) => events.at(-1) as FinalJobEvent;

describe("JobManager", () => {
  it("gives a returning follower the finished job's result instead of running it again", async () => {
    const first = final(await run({ clip_id: "tone-follow" }));
    expect(first).toMatchObject({ type: "completed", result: { skipped: false } });
    expect(first.tools?.yt_dlp).toMatch(/^\d{4}\.\d{2}\.\d{2}/);
    const downloads = fixtures.downloads().length;
    // The job has left the running set (its final event goes out before it does).
    await vi.waitFor(() => expect(jobs.active).toBe(0), { timeout: 5_000, interval: 10 });

    const followed = await run({ clip_id: "tone-follow", follow: true });
    expect(followed).toEqual([first]);
    // Without `follow` the same clip is a new request: it runs again and finds the clip done.
    const again = final(await run({ clip_id: "tone-follow" }));
    expect(again).toMatchObject({ type: "completed", result: { skipped: true } });
    expect(fixtures.downloads().length).toBe(downloads);
  });

  it("starts the job when a follower finds neither a running job nor a result (engine restarted)", async () => {
    const events = await run({ clip_id: "tone-lost", follow: true });
    expect(events.map((e) => e.type)).toContain("state");
    expect(final(events)).toMatchObject({ type: "completed", result: { skipped: false } });
  });

  it("runs a canary through the whole pipeline and writes nothing", async () => {
    const before = fixtures.downloads().length;
    const events = await run({ clip_id: "tone-canary", canary: true, force: true });
    expect(final(events)).toMatchObject({ type: "completed", result: { clip_id: "tone-canary", skipped: false } });
    expect(events.filter((e) => e.type === "state").map((e) => (e as { stage: string }).stage)).toEqual([
      "downloading",
      "extracting",
      "uploading",
    ]);
    expect(fixtures.downloads().length).toBe(before + 1);
    const written = await readdir(join(dir, "out"), { recursive: true });
    expect(written.filter((name) => name.includes("tone-canary"))).toEqual([]);
  });
});
