/**
 * A job waiting for a free slot (JOB_CONCURRENCY) that is cancelled leaves the queue at once: its
 * `failed`/`cancelled` event comes while the job holding the slot still runs, not when it ends.
 * The job holding the slot downloads the fixture server's `slow` clip, which trickles forever.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { JobEvent } from "../../shared/job.ts";
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
  dir = await mkdtemp(join(tmpdir(), "jobs-queue-"));
  const config = loadConfig({
    CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate,
    WORK_DIR: join(dir, "work"),
    STORE_VIDEO: "false",
    JOB_CONCURRENCY: "1",
  });
  jobs = new JobManager(config, new LocalSink(join(dir, "out")));
}, 120_000);

afterAll(async () => {
  await jobs.drain(0);
  await fixtures.close();
  await rm(dir, { recursive: true, force: true });
});

function start(clipId: string): { events: JobEvent[]; done: Promise<void> } {
  const events: JobEvent[] = [];
  const { done } = jobs.subscribe(JobRequest.parse({ clip_id: clipId }), (event) => events.push(event));
  return { events, done };
}

describe("a queued job", () => {
  it("that is cancelled leaves the queue at once, while the job holding the slot runs on", async () => {
    const running = start("slow");
    await vi.waitFor(() => expect(running.events).toContainEqual({ type: "state", stage: "downloading" }), {
      timeout: 30_000,
    });
    const queued = start("tone-queued");
    expect(queued.events).toEqual([]);

    expect(jobs.cancel("tone-queued")).toBe(true);
    await vi.waitFor(
      () =>
        expect(queued.events).toEqual([
          expect.objectContaining({ type: "failed", error: expect.objectContaining({ code: "cancelled" }) }),
        ]),
      { timeout: 2_000 },
    );
    expect(running.events.some((e) => e.type === "failed" || e.type === "completed")).toBe(false);

    // The slot's holder still ends by its own cancel, as before.
    jobs.cancel("slow");
    await running.done;
    expect(running.events.at(-1)).toMatchObject({ type: "failed", error: { code: "cancelled" } });
  }, 60_000);
});
