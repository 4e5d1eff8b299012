/**
 * A job across what the platform does to it, in workerd with the real engine process behind a
 * stand-in of the platform between them (test/support/engine-link.ts): a broken stream, a
 * Durable Object reset and a rollout (SIGTERM, drain, a new instance) end with the clip
 * completed, never failed, and cost none of its attempts.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it, vi } from "vitest";
import type { ProcessClipsResponse, Task } from "../../shared/schemas.ts";
import type { ClipJobState } from "../src/durable/clip-job-state.ts";
import { call, downloading, fixtureDownloads, clipJob as job, json } from "./helpers.ts";

const link = (path: string, method = "POST") => fetch(`${inject("engineUrl")}/__link/${path}`, { method });
const process = (body: unknown) => call("/api/process-clips", { body });

async function starts(name: string): Promise<number> {
  return ((await (await link("stats", "GET")).json()) as { starts: Record<string, number> }).starts[name] ?? 0;
}

/** Waits for the clip's job to settle, running its alarms at once (they back off otherwise). */
async function settled(clipId: string): Promise<ClipJobState> {
  return vi.waitFor(
    async () => {
      const now = await job(clipId).getState();
      if (now?.state === "completed" || now?.state === "failed") return now;
      await runDurableObjectAlarm(job(clipId));
      throw new Error(`${clipId} is ${now?.state}`);
    },
    { timeout: 40_000, interval: 200 },
  );
}

async function background(clipId: string): Promise<string> {
  const body = await json<ProcessClipsResponse>(await process({ clip_ids: [clipId], background: true }));
  return body.task_id as string;
}

describe("a broken stream while the engine runs on", () => {
  it("is re-attached: a synchronous request still answers success, and the clip is downloaded once", async () => {
    const before = await fixtureDownloads();
    const answer = process({ clip_ids: ["paced-cut-sync"] });
    await downloading("paced-cut-sync", before);
    expect(await (await link("cut/paced-cut-sync")).json()).toEqual({ cut: 1 });
    const response = await answer;
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ results: { results: [{ success: true, skipped: false }] } });
    expect((await fixtureDownloads()) - before).toBe(1);
    expect(await job("paced-cut-sync").getState()).toMatchObject({ state: "completed", attempts: 0 });
  });

  it("costs a background job no attempt when its alarm's stream is cut (the engine's object reset)", async () => {
    const before = await fixtureDownloads();
    const taskId = await background("paced-cut-bg");
    await downloading("paced-cut-bg", before);
    // Alarms hand the job on every second here (JOB_FOLLOW_SECONDS=1): cut until a stream was open.
    await vi.waitFor(async () => {
      const { cut } = (await (await link("cut/paced-cut-bg")).json()) as { cut: number };
      if (cut === 0) throw new Error("no stream open yet");
    });
    expect(await settled("paced-cut-bg")).toMatchObject({ state: "completed", attempts: 0 });
    expect((await fixtureDownloads()) - before).toBe(1);
    expect((await json<Task>(await call(`/task/${taskId}`))).status).toBe("completed");
  });

  it("carries a background job across a reset of its own Durable Object: the next alarm joins the job", async () => {
    const before = await fixtureDownloads();
    const taskId = await background("paced-reset-bg");
    await downloading("paced-reset-bg", before);
    // A deploy resets the object: its alarm's stream breaks with it.
    const reset = runInDurableObject(job("paced-reset-bg"), (_instance, state) => state.abort("reset by a deploy"));
    await expect(reset).rejects.toThrow("reset by a deploy");
    const state = await settled("paced-reset-bg");
    expect(state).toMatchObject({ state: "completed", attempts: 0 });
    expect((await fixtureDownloads()) - before).toBe(1);
    const task = await json<Task>(await call(`/task/${taskId}`));
    expect(task.status).toBe("completed");
  });
});

describe("a rollout (SIGTERM) under a job", () => {
  it("lets the running job finish; a clip sent during the drain waits for the new instance", async () => {
    const startsBefore = await starts("drain60");
    const before = await fixtureDownloads();
    await background("paced-drain60-a");
    await downloading("paced-drain60-a", before);
    await link("rollout/drain60");
    // Sent while the engine drains: refused by it, answered as restarting, carried by the alarm.
    const during = await process({ clip_ids: ["tone-drain60-b"] });
    expect(await during.json()).toMatchObject({
      results: { results: [{ success: false, error_code: "engine_restarting" }] },
    });
    expect(await settled("paced-drain60-a")).toMatchObject({ state: "completed", attempts: 0 });
    expect(await settled("tone-drain60-b")).toMatchObject({ state: "completed", attempts: 0 });
    expect((await starts("drain60")) - startsBefore).toBe(2);
  }, 60_000);

  it("starts a job cut off at the end of the drain again on the new instance, at no attempt's cost", async () => {
    const before = await fixtureDownloads();
    const startsBefore = await starts("drain0");
    await background("paced-drain0-a");
    await downloading("paced-drain0-a", before);
    await link("rollout/drain0");
    expect(await settled("paced-drain0-a")).toMatchObject({ state: "completed", attempts: 0 });
    // Cut off, then downloaded again from the start by the new instance.
    expect((await fixtureDownloads()) - before).toBe(2);
    expect((await starts("drain0")) - startsBefore).toBe(2);
  }, 60_000);
});
