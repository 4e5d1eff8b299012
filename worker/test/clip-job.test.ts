/**
 * The ClipJob Durable Object driven directly (its stub, its storage, its alarm), not through the
 * HTTP stack: its one stored record, its state moves, its alarm's retries, an interrupted job,
 * and its storage migrations. The engine behind it is the real engine process (global setup).
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it, vi } from "vitest";
import { CLIP_JOB_MIGRATIONS, ClipJobRecord, type ClipJobState, RECORD_KEY } from "../src/durable/clip-job-state.ts";
import { MAX_INTERRUPTIONS } from "../src/durable/interruptions.ts";
import { migrate, SCHEMA_VERSION_KEY } from "../src/durable/migrations.ts";
import { downloading, fixtureDownloads, clipJob as job } from "./helpers.ts";

const tasks = () => env.TASKS.get(env.TASKS.idFromName("tasks"));

/** What the object has stored, key by key. */
function stored(clipId: string): Promise<Record<string, unknown>> {
  return runInDurableObject(job(clipId), (_instance, state) => Object.fromEntries(state.storage.kv.list()));
}

/** Writes `entries` as they are (a layout of another version), then resets the object so it starts on them. */
async function restartOn(clipId: string, entries: Record<string, unknown>): Promise<void> {
  await runInDurableObject(job(clipId), (_instance, state) => {
    for (const [key, value] of Object.entries(entries)) state.storage.kv.put(key, value);
  });
  const reset = runInDurableObject(job(clipId), (_instance, state) => state.abort("restart on this storage"));
  await expect(reset).rejects.toThrow("restart on this storage");
}

/** Runs the clip's alarms (each follows the job for JOB_FOLLOW_SECONDS = 1) until `done` says so. */
async function alarmsUntil(clipId: string, done: (state: ClipJobState | null) => boolean): Promise<ClipJobState> {
  return vi.waitFor(
    async () => {
      const now = await job(clipId).getState();
      if (now && done(now)) return now;
      await runDurableObjectAlarm(job(clipId));
      throw new Error(`${clipId} is ${now?.state}, attempt ${now?.attempts}`);
    },
    { timeout: 40_000, interval: 20 },
  );
}

const finished = (state: ClipJobState | null) => state?.state === "completed" || state?.state === "failed";
const pendingFor = (taskId: string) => ({ force: false, taskIds: [taskId], callbackUrls: [] });

/** A stored state (of the current version) as a test sets it up. */
function jobState(clipId: string, fields: Partial<ClipJobState>): ClipJobState {
  const idle = { progress: null, error: null, error_code: null, result: null, retry_at: null, last_error: null };
  return { clip_id: clipId, state: "queued", ...idle, attempts: 0, interruptions: 0, updated_at: "", ...fields };
}

describe("ClipJob's record", () => {
  it("is one validated key, and forgetting the job removes it", async () => {
    const result = await job("tone-cj-record").run("tone-cj-record", false);
    expect(result).toMatchObject({ success: true, skipped: false });
    const keys = await stored("tone-cj-record");
    // No schema version is stored until a migration exists (CLIP_JOB_MIGRATIONS is empty).
    expect(Object.keys(keys)).toEqual([RECORD_KEY]);
    const record = ClipJobRecord.parse(keys[RECORD_KEY]);
    expect(record).toMatchObject({ clip_id: "tone-cj-record", pending: null, following: false, outdated_work: null });
    expect(record.state).toMatchObject({ state: "completed", progress: 100, attempts: 0, interruptions: 0 });
    expect(await job("tone-cj-record").forget()).toBe(true);
    expect(await job("tone-cj-record").getState()).toBeNull();
    expect(Object.keys(await stored("tone-cj-record"))).toEqual([]);
  });

  it("takes new work once finished: queued again (a state move the machine allows), then completed", async () => {
    expect(await job("tone-cj-again").run("tone-cj-again", false)).toMatchObject({ success: true });
    const task = await tasks().create(["tone-cj-again"]);
    await job("tone-cj-again").enqueue("tone-cj-again", { force: true, taskId: task.task_id });
    expect(await job("tone-cj-again").getState()).toMatchObject({ state: "queued", progress: null, result: null });
    const end = await alarmsUntil("tone-cj-again", finished);
    expect(end).toMatchObject({ state: "completed", result: { success: true, skipped: false } });
    expect(await tasks().get(task.task_id)).toMatchObject({ status: "completed" });
  });

  it("that does not parse is refused with a specific error, not read as something else", async () => {
    const state = { ...jobState("tone-cj-invalid", {}), state: "done" };
    const record = { clip_id: "tone-cj-invalid", state, pending: null, following: false, outdated_work: null };
    await restartOn("tone-cj-invalid", { [RECORD_KEY]: record });
    // Inside the object: a rejected call through a stub leaks an unhandled rejection into the
    // test run (workers-sdk #14736), so failure paths are checked on the instance.
    await runInDurableObject(job("tone-cj-invalid"), async (instance) => {
      await expect(instance.getState()).rejects.toThrow(
        "Stored clip job record is invalid (state.state: Invalid option",
      );
    });
  });

  it("refuses a move of its state that shared/job-state.ts does not allow, and keeps the state it had", async () => {
    // A finished job marked as following (never so stored): the engine's first event would reopen it.
    const state = jobState("tone-cj-refuse", { state: "completed", progress: 100 });
    const record = { clip_id: "tone-cj-refuse", state, pending: null, following: true, outdated_work: null };
    await restartOn("tone-cj-refuse", { [RECORD_KEY]: record });
    await runInDurableObject(job("tone-cj-refuse"), async (instance) => {
      await expect(instance.run("tone-cj-refuse", false)).rejects.toThrow(
        "Clip job tone-cj-refuse cannot go from completed to",
      );
    });
    expect(await job("tone-cj-refuse").getState()).toEqual(state);
  });
});

describe("ClipJob's alarm", () => {
  it("retries a retryable failure with backoff, then fails it for good and tells the task", async () => {
    const task = await tasks().create(["slow-cj-retry"]);
    await job("slow-cj-retry").enqueue("slow-cj-retry", { force: false, taskId: task.task_id });
    expect(await job("slow-cj-retry").getState()).toMatchObject({ state: "queued", attempts: 0, retry_at: null });
    // Backoff after attempt n: 5 s, then 20 s (×4), from when the attempt failed.
    for (const [attempt, backoffMs] of [
      [1, 5_000],
      [2, 20_000],
    ] as const) {
      const state = await alarmsUntil("slow-cj-retry", (now) => now?.attempts === attempt);
      expect(state).toMatchObject({ state: "queued", error: null, interruptions: 0 });
      expect(state.last_error).toMatch(/timed out|timeout/i);
      const alarm = await runInDurableObject(job("slow-cj-retry"), (_i, s) => s.storage.getAlarm());
      expect(alarm).toBe(Date.parse(state.retry_at as string));
      const waits = (alarm as number) - Date.parse(state.updated_at);
      expect(waits).toBeGreaterThan(backoffMs - 1_000);
      expect(waits).toBeLessThanOrEqual(backoffMs);
    }
    const last = await alarmsUntil("slow-cj-retry", finished);
    expect(last).toMatchObject({ state: "failed", attempts: 2, retry_at: null, last_error: null });
    expect(last.error).toMatch(/timed out|timeout/i);
    expect(ClipJobRecord.parse((await stored("slow-cj-retry"))[RECORD_KEY]).pending).toBeNull();
    expect(await tasks().get(task.task_id)).toMatchObject({ status: "failed", results: { failed: 1 } });
  }, 60_000);

  it("carries an interrupted job on at no attempt's cost: attempts kept, interruptions cleared, task completed", async () => {
    const task = await tasks().create(["tone-cj-follow"]);
    // As an alarm left it when the stream broke: downloading, following, one interruption.
    const fields = {
      state: "downloading",
      progress: 10,
      attempts: 1,
      last_error: "timed out",
      interruptions: 1,
    } as const;
    const state = jobState("tone-cj-follow", fields);
    const record = { clip_id: "tone-cj-follow", state, pending: pendingFor(task.task_id), following: true };
    await restartOn("tone-cj-follow", { [RECORD_KEY]: { ...record, outdated_work: null } });
    await runInDurableObject(job("tone-cj-follow"), (_i, s) => s.storage.setAlarm(Date.now() + 60_000));
    const before = await fixtureDownloads();
    const end = await alarmsUntil("tone-cj-follow", finished);
    expect(end).toMatchObject({ state: "completed", attempts: 1, interruptions: 0, last_error: null });
    expect((await fixtureDownloads()) - before).toBe(1);
    expect(ClipJobRecord.parse((await stored("tone-cj-follow"))[RECORD_KEY]).following).toBe(false);
    expect(await tasks().get(task.task_id)).toMatchObject({ status: "completed", results: { successful: 1 } });
  });

  it("fails a job interrupted once more than MAX_INTERRUPTIONS allows", async () => {
    // Handed over after MAX_INTERRUPTIONS interruptions in a row; its stream breaks once more.
    const state = jobState("paced-cj-max", { interruptions: MAX_INTERRUPTIONS });
    const record = { clip_id: "paced-cj-max", state, pending: null, following: false, outdated_work: null };
    await restartOn("paced-cj-max", { [RECORD_KEY]: record });
    const before = await fixtureDownloads();
    const running = job("paced-cj-max").run("paced-cj-max", false);
    await downloading("paced-cj-max", before);
    const cut = await fetch(`${inject("engineUrl")}/__link/cut/paced-cj-max`, { method: "POST" });
    expect(await cut.json()).toEqual({ cut: 1 });
    expect(await running).toMatchObject({ success: false, error_code: "container_unavailable" });
    expect((await running).error).toContain(`interrupted ${MAX_INTERRUPTIONS} times in a row`);
    expect(await job("paced-cj-max").getState()).toMatchObject({ state: "failed", interruptions: 0 });
  });
});

describe("ClipJob's storage migrations", () => {
  it("runs each step once, in order, each with its version bump in one transaction", async () => {
    await runInDurableObject(job("tone-cj-steps"), (_instance, state) => {
      const storage = state.storage;
      const ran: number[] = [];
      const steps = [
        () => ran.push(1),
        (s: DurableObjectStorage) => {
          ran.push(2);
          s.kv.put("marker", "written by step 2");
        },
        (s: DurableObjectStorage) => {
          s.kv.put("marker", "half-done step 3");
          throw new Error("step 3 failed");
        },
      ];
      expect(() => migrate(storage, steps)).toThrow("step 3 failed");
      // Steps 1 and 2 landed with their versions; step 3's write went with its transaction.
      expect(ran).toEqual([1, 2]);
      expect(storage.kv.get(SCHEMA_VERSION_KEY)).toBe(2);
      expect(storage.kv.get("marker")).toBe("written by step 2");
      // The next start resumes at step 3 and never repeats 1 and 2.
      expect(migrate(storage, [...steps.slice(0, 2), () => ran.push(3)])).toBe(2);
      expect(ran).toEqual([1, 2, 3]);
      expect(storage.kv.get(SCHEMA_VERSION_KEY)).toBe(3);
      storage.kv.delete("marker");
      storage.kv.delete(SCHEMA_VERSION_KEY);
    });
  });

  it("refuses storage written by a newer version rather than misread it", async () => {
    await runInDurableObject(job("tone-cj-newer"), (_instance, state) => {
      state.storage.kv.put(SCHEMA_VERSION_KEY, 99);
      expect(() => migrate(state.storage, CLIP_JOB_MIGRATIONS)).toThrow(
        "Durable Object storage is at version 99, newer than this code's 0",
      );
      state.storage.kv.delete(SCHEMA_VERSION_KEY);
    });
  });
});
