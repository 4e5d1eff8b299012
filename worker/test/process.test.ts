import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, inject, it, vi } from "vitest";
import { verifySignature } from "../../shared/hmac.ts";
import type { ClipStatus, ProcessClipsResponse, Task } from "../../shared/schemas.ts";
import { createClipAudioClient } from "../src/client.ts";
import { call, fixtureDownloads, json, SECRET } from "./helpers.ts";

const SUFFIX = "Clip IDs must contain only alphanumeric characters, hyphens, and underscores.";
const process = (body: unknown, headers: Record<string, string> = {}) => call("/api/process-clips", { body, headers });
const status = async (id: string) => json<ClipStatus>(await call(`/clip-status/${id}`));

async function waitForTask(taskId: string, clipIds: string[]): Promise<Task> {
  return vi.waitFor(
    async () => {
      const task = await json<Task>(await call(`/task/${taskId}`));
      if (task.status === "completed" || task.status === "failed") return task;
      // Alarms fire by themselves; nudging them keeps the test short when a retry is backing off.
      for (const id of clipIds) await runDurableObjectAlarm(env.CLIP_JOBS.get(env.CLIP_JOBS.idFromName(id)));
      throw new Error(`task ${taskId} is ${task.status}`);
    },
    { timeout: 15_000, interval: 100 },
  );
}

describe("POST /process-clips validation", () => {
  it.each([
    [{ clip_ids: [] }, "No clip IDs provided"],
    [{ clip_ids: Array.from({ length: 11 }, (_, i) => `c${i}`) }, "Maximum 10 clips per request"],
    [
      { clip_ids: ["ok", "clip@123", "ab cd"] },
      `Invalid clip ID(s): clip@123 (contains invalid characters), ab cd (contains invalid characters). ${SUFFIX}`,
    ],
    [{ clip_ids: ["   "] }, `Invalid clip ID(s):     (empty or whitespace only). ${SUFFIX}`],
  ])("%o → 400 %s", async (body, detail) => {
    const response = await process(body);
    expect(response.status).toBe(400);
    expect(await json(response)).toEqual({ detail });
  });

  it("answers malformed JSON and wrong types with 400 and a reason", async () => {
    const bad = await process("{not json");
    expect(bad.status).toBe(400);
    expect(await json(bad)).toEqual({ detail: "Request body must be valid JSON" });
    const wrong = await process({ clip_ids: "abc" });
    expect(wrong.status).toBe(400);
    expect((await json<{ detail: string }>(wrong)).detail).toMatch(/^Invalid request body: clip_ids: /);
  });

  it("refuses a callback host outside CALLBACK_HOSTS", async () => {
    const response = await process({ clip_ids: ["tone-cb"], callback_url: "https://evil.example/hook" });
    expect(response.status).toBe(400);
    expect(await json(response)).toEqual({ detail: "callback_url host evil.example is not allowed (CALLBACK_HOSTS)" });
  });
});

describe("synchronous processing with the real engine", () => {
  it("processes a clip, reports it in status and skips it the second time", async () => {
    const response = await process({ clip_ids: ["https://clips.twitch.tv/tone-sync", "tone-sync"] });
    expect(response.status).toBe(200);
    const body = await json<ProcessClipsResponse>(response);
    expect(body).toMatchObject({ success: true, message: "Processed 1/1 clips successfully", task_id: null });
    expect(body.results?.results[0]).toMatchObject({
      clip_id: "tone-sync",
      success: true,
      error: null,
      files_uploaded: ["audio/tone-sync.wav", "audio/tone-sync.peaks.json", "audio/tone-sync.json"],
      needs_chunking: false,
      skipped: false,
    });
    expect(body.results?.results[0]?.duration).toBeCloseTo(6, 1);
    expect(await status("tone-sync")).toMatchObject({
      clip_id: "tone-sync",
      audio_processed: true,
      video_stored: false,
      transcript_ready: false,
      ready_for_transcription: true,
      state: "completed",
      progress: 100,
      error: null,
      chunks: [],
    });
    const again = await json<ProcessClipsResponse>(await process({ clip_ids: ["tone-sync"] }));
    expect(again.results?.results[0]).toMatchObject({ success: true, skipped: true });
  });

  it("tells the engine a clip is new only when its manifest is absent, so a finished one is still skipped", async () => {
    const saidNew = async () =>
      ((await (await fetch(`${inject("engineUrl")}/__link/stats`)).json()) as { known_new: string[] }).known_new;
    const first = await json<ProcessClipsResponse>(await process({ clip_ids: ["tone-knownnew"] }));
    expect(first.results?.results[0]).toMatchObject({ success: true, skipped: false });
    expect((await saidNew()).filter((id) => id === "tone-knownnew")).toHaveLength(1);
    // The Worker saw the manifest this time: the engine looks for itself and skips the clip.
    const again = await json<ProcessClipsResponse>(await process({ clip_ids: ["tone-knownnew"] }));
    expect(again.results?.results[0]).toMatchObject({ success: true, skipped: true });
    expect((await saidNew()).filter((id) => id === "tone-knownnew")).toHaveLength(1);
    // force never says so (the engine does not look for the clip then anyway).
    await process({ clip_ids: ["tone-knownnew"], force: true });
    expect((await saidNew()).filter((id) => id === "tone-knownnew")).toHaveLength(1);
  });

  it("shares one run between concurrent requests for the same clip (one download)", async () => {
    const before = await fixtureDownloads();
    const responses = await Promise.all([1, 2, 3].map(() => process({ clip_ids: ["tone-coalesce"] })));
    for (const response of responses) expect((await json<ProcessClipsResponse>(response)).success).toBe(true);
    expect((await fixtureDownloads()) - before).toBe(1);
  });

  it("reports a failed clip with 200, success false and the engine's message", async () => {
    const response = await process({ clip_ids: ["missing-sync"] });
    expect(response.status).toBe(200);
    const body = await json<ProcessClipsResponse>(response);
    expect(body).toMatchObject({ success: false, message: "Processed 0/1 clips successfully" });
    expect(body.results?.results[0]).toMatchObject({
      success: false,
      error_code: "not_found",
      error: "The clip or video does not exist (deleted, or unknown id)",
    });
    expect(await status("missing-sync")).toMatchObject({
      state: "failed",
      audio_processed: false,
      error: "The clip or video does not exist (deleted, or unknown id)",
    });
  });

  it("replays the first response for a repeated X-Idempotency-Key", async () => {
    const key = "idem-key-0000000001";
    const first = await process({ clip_ids: ["missing-idem"] }, { "X-Idempotency-Key": key });
    const second = await process({ clip_ids: ["missing-idem"] }, { "X-Idempotency-Key": key });
    expect(second.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await second.text()).toBe(await first.text());
    const other = await process({ clip_ids: ["tone-other"] }, { "X-Idempotency-Key": key });
    expect(other.status).toBe(422);
  });
});

describe("background processing", () => {
  it("answers 202 at once and completes through alarms", async () => {
    const response = await process({ clip_ids: ["tone-bg1", "tone-bg2"], background: true });
    expect(response.status).toBe(202);
    const body = await json<ProcessClipsResponse>(response);
    expect(body).toMatchObject({ success: true, message: "Processing 2 clips in background", results: null });
    const task = await waitForTask(body.task_id as string, ["tone-bg1", "tone-bg2"]);
    expect(task).toMatchObject({ status: "completed", clip_ids: ["tone-bg1", "tone-bg2"], error: null });
    expect(task.results).toMatchObject({ total: 2, successful: 2, failed: 0 });
    expect(task.completed_at).not.toBeNull();
    expect((await status("tone-bg2")).audio_processed).toBe(true);
  });

  it("retries a retryable failure and then succeeds", async () => {
    const body = await json<ProcessClipsResponse>(await process({ clip_ids: ["flaky-bg"], background: true }));
    const task = await waitForTask(body.task_id as string, ["flaky-bg"]);
    expect(task.status).toBe("completed");
    expect(task.results?.results[0]).toMatchObject({ clip_id: "flaky-bg", success: true });
    // One failed attempt (the fixture's 503, a retryable download_failed) before the success.
    const stored = await env.CLIP_JOBS.get(env.CLIP_JOBS.idFromName("flaky-bg")).getState();
    expect(stored?.attempts).toBe(1);
  });

  it("follows a job that outlasts one alarm's follow window, without downloading twice", async () => {
    // JOB_FOLLOW_SECONDS is 1 here and the paced clip takes about 2 s: at least one alarm
    // lets go of the job before it ends, and the next one joins it again in the engine.
    const before = await fixtureDownloads();
    const started = Date.now();
    const body = await json<ProcessClipsResponse>(await process({ clip_ids: ["paced-follow"], background: true }));
    const task = await waitForTask(body.task_id as string, ["paced-follow"]);
    expect(task.status).toBe("completed");
    expect(task.results?.results[0]).toMatchObject({ clip_id: "paced-follow", success: true, skipped: false });
    expect(Date.now() - started).toBeGreaterThan(1_500);
    expect((await fixtureDownloads()) - before).toBe(1);
    const stored = await env.CLIP_JOBS.get(env.CLIP_JOBS.idFromName("paced-follow")).getState();
    expect(stored).toMatchObject({ state: "completed", attempts: 0 });
  });

  it("fails a permanent error without retrying, with its message", async () => {
    const body = await json<ProcessClipsResponse>(await process({ clip_ids: ["missing-bg"], background: true }));
    const task = await waitForTask(body.task_id as string, ["missing-bg"]);
    expect(task).toMatchObject({ status: "failed", error: "1 of 1 clips failed" });
    expect(task.results?.results[0]).toMatchObject({ success: false, error_code: "not_found" });
    const stored = await env.CLIP_JOBS.get(env.CLIP_JOBS.idFromName("missing-bg")).getState();
    expect(stored?.attempts).toBe(0);
  });
});

describe("completion callbacks", () => {
  it("POSTs each clip's result to callback_url, signed with the shared secret", async () => {
    const hook = `${inject("fixtureUrl")}/hook`;
    const body = await json<ProcessClipsResponse>(
      await process({ clip_ids: ["tone-hook"], background: true, callback_url: hook }),
    );
    await waitForTask(body.task_id as string, ["tone-hook"]);
    type Hook = { body: string; headers: { signature: string; timestamp: string; nonce: string } };
    // The callback may arrive a moment after the task ends: wait until the receiver has it.
    const received = await vi.waitFor(
      async () => {
        const hooks = (await (await fetch(`${inject("fixtureUrl")}/__hooks`)).json()) as Hook[];
        const hook = hooks.find((h) => h.body.includes('"tone-hook"'));
        if (!hook) throw new Error("no callback for tone-hook yet");
        return hook;
      },
      { timeout: 10_000, interval: 100 },
    );
    const payload = JSON.parse(received.body);
    expect(payload).toMatchObject({ task_ids: [body.task_id], result: { clip_id: "tone-hook", success: true } });
    const verified = await verifySignature(SECRET, received.body, received.headers, Math.floor(Date.now() / 1000));
    expect(verified.ok).toBe(true);
  });
});

describe("typed client", () => {
  it("signs, calls and parses through a fetcher (as a service binding would)", async () => {
    const client = createClipAudioClient({ fetch: (request) => exports.default.fetch(request) }, SECRET);
    const result = await client.processClips({ clip_ids: ["tone-client"] });
    expect(result.results?.results[0]).toMatchObject({ clip_id: "tone-client", success: true });
    expect((await client.clipStatus("tone-client")).state).toBe("completed");
    await expect(client.task("nope")).rejects.toMatchObject({ status: 404, message: "Task not found" });
  });
});
