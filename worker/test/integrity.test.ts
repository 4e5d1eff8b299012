/**
 * Integrity under races, retries and hostile input (issue 9): each test here failed before
 * its fix. The engine is the real container process; Twitch is the local fixture server.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { computeSignature, newNonce, requestTarget, signRequest } from "../../shared/hmac.ts";
import type { ClipStatus, ListProcessedResponse, ProcessClipsResponse, Task } from "../../shared/schemas.ts";
import { createClipAudioClient } from "../src/client.ts";
import app from "../src/index.ts";
import { MAX_BODY_BYTES } from "../src/limits.ts";
import { call, fixtureDownloads, json, newClientIp, SECRET } from "./helpers.ts";

const SUFFIX = "Clip IDs must contain only alphanumeric characters, hyphens, and underscores.";
const process = (body: unknown, headers: Record<string, string> = {}) => call("/process-clips", { body, headers });
const status = async (id: string) => json<ClipStatus>(await call(`/clip-status/${id}`));
const job = (id: string) => env.CLIP_JOBS.get(env.CLIP_JOBS.idFromName(id));
const stateOf = async (id: string) => (await status(id)).state;

describe("1. a retry pending is never shown as failed", () => {
  it("shows queued with attempt, retry_at and the last error until the retry succeeds", async () => {
    const body = await json<ProcessClipsResponse>(await process({ clip_ids: ["flaky-retry"], background: true }));
    const seen: ClipStatus[] = [];
    // The first attempt meets the fixture's 503 (retryable); the retry waits 5 s. Every state
    // shown on the way there is kept.
    const waiting = await vi.waitFor(
      async () => {
        const now = await status("flaky-retry");
        seen.push(now);
        if (now.state !== "queued" || !now.retry_at) throw new Error(`state ${now.state}, no retry yet`);
        return now;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(seen.map((s) => s.state)).not.toContain("failed");
    expect(waiting).toMatchObject({ state: "queued", attempt: 2, error: null, progress: null });
    expect(waiting?.last_error).toMatch(/\S/);
    expect(Date.parse(waiting?.retry_at ?? "")).toBeGreaterThan(Date.now());
    const task = await json<Task>(await call(`/task/${body.task_id}`));
    expect(task.status).not.toBe("failed");
    await runDurableObjectAlarm(job("flaky-retry"));
    await expect.poll(() => stateOf("flaky-retry"), { timeout: 10_000, interval: 100 }).toBe("completed");
    expect(await status("flaky-retry")).toMatchObject({
      state: "completed",
      progress: 100,
      attempt: null,
      retry_at: null,
      last_error: null,
    });
  });
});

describe("2. idempotency keys under concurrency", () => {
  it("8 concurrent POSTs, one key, different bodies: one does the work, 7 get 422", async () => {
    const key = `race-${newNonce()}`;
    const ids = Array.from({ length: 8 }, (_, i) => `missing-race${i}`);
    const responses = await Promise.all(ids.map((id) => process({ clip_ids: [id] }, { "X-Idempotency-Key": key })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 422)).toHaveLength(7);
    for (const response of responses.filter((r) => r.status === 422)) {
      expect(await json(response)).toEqual({ detail: "X-Idempotency-Key was already used with a different body" });
    }
    // Only the winner's clip ever had a job.
    const states = await Promise.all(ids.map(async (id) => (await job(id).getState())?.state ?? "none"));
    expect(states.filter((s) => s !== "none")).toHaveLength(1);
  });

  it("the same body concurrently: one run (one download), every caller gets the first response", async () => {
    const key = `same-${newNonce()}`;
    const before = await fixtureDownloads();
    const responses = await Promise.all(
      [1, 2, 3, 4].map(() => process({ clip_ids: ["tone-idem-same"] }, { "X-Idempotency-Key": key })),
    );
    const texts = await Promise.all(responses.map((r) => r.text()));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(texts).size).toBe(1);
    expect(responses.filter((r) => r.headers.get("Idempotent-Replayed") === "true")).toHaveLength(3);
    expect((await fixtureDownloads()) - before).toBe(1);
  });

  it("another body while the first is still running: 422 at once", async () => {
    const key = `running-${newNonce()}`;
    const first = process({ clip_ids: ["paced-idem"] }, { "X-Idempotency-Key": key });
    // Running: the key was claimed before the job started, and the job is downloading.
    await expect.poll(() => stateOf("paced-idem"), { timeout: 10_000, interval: 50 }).toBe("downloading");
    const started = Date.now();
    const other = await process({ clip_ids: ["tone-idem-other"] }, { "X-Idempotency-Key": key });
    expect(other.status).toBe(422);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await first).status).toBe(200);
    expect(await job("tone-idem-other").getState()).toBeNull();
  });

  it("a refused request frees the key for a corrected one", async () => {
    const key = `fix-${newNonce()}`;
    const bad = await process({ clip_ids: ["a b"] }, { "X-Idempotency-Key": key });
    expect(bad.status).toBe(400);
    const good = await process({ clip_ids: ["missing-fixed"] }, { "X-Idempotency-Key": key });
    expect(good.status).toBe(200);
  });
});

describe("5. status after cleanup", () => {
  it("reads like a clip never processed: not_found, no progress, no error", async () => {
    expect((await process({ clip_ids: ["tone-clean-status"] })).status).toBe(200);
    expect(await status("tone-clean-status")).toMatchObject({ state: "completed", progress: 100 });
    const cleanup = await call("/cleanup/tone-clean-status?dry_run=false&confirm=true", { method: "DELETE" });
    expect(cleanup.status).toBe(200);
    expect(await status("tone-clean-status")).toMatchObject({
      state: "not_found",
      progress: null,
      error: null,
      audio_processed: false,
      duration: null,
      attempt: null,
    });
  });
});

describe("6. empty query values mean the default", () => {
  it("limit= lists like no limit", async () => {
    const body = await json<ProcessClipsResponse>(await process({ clip_ids: ["tone-list-a", "tone-list-b"] }));
    expect(body.success).toBe(true);
    const page = await json<ListProcessedResponse>(await call("/list-processed-clips?limit="));
    const defaults = await json<ListProcessedResponse>(await call("/list-processed-clips"));
    expect(page.clips.length).toBeGreaterThanOrEqual(2);
    expect(page).toEqual(defaults);
    const tasks = await json<{ tasks: unknown[] }>(await call("/tasks?limit="));
    const allTasks = await json<{ tasks: unknown[] }>(await call("/tasks"));
    expect(tasks.tasks.length).toBe(allTasks.tasks.length);
  });
});

describe("7. an interrupted forced re-run is carried to completion", () => {
  it("a forced sync run that fails retryably is retried by the job until the clip is complete", async () => {
    // The fixture answers this id's first download with 503 (retryable), then serves it.
    const response = await json<ProcessClipsResponse>(await process({ clip_ids: ["flaky-forced"], force: true }));
    expect(response.results?.results[0]).toMatchObject({ success: false, error_code: "download_failed" });
    expect(await status("flaky-forced")).toMatchObject({ state: "queued", attempt: 2, audio_processed: false });
    await runDurableObjectAlarm(job("flaky-forced"));
    await expect.poll(() => stateOf("flaky-forced"), { timeout: 10_000, interval: 100 }).toBe("completed");
    expect(await status("flaky-forced")).toMatchObject({ state: "completed", audio_processed: true, progress: 100 });
  });
});

describe("8. big bodies are refused before they are read", () => {
  const expected = { detail: `Request body too large (at most ${MAX_BODY_BYTES} bytes)` };

  it("413 for a signed 10 MB body, with Content-Length", async () => {
    const body = JSON.stringify({ clip_ids: ["x".repeat(10 * 1024 * 1024)] });
    const response = await call("/process-clips", { body });
    expect(response.status).toBe(413);
    expect(await json(response)).toEqual(expected);
  });

  it("413 for a streamed body without Content-Length, cut off after the limit", async () => {
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 10 * 1024 * 1024) return controller.close();
        sent += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
    });
    const request = new Request("http://worker/process-clips", {
      method: "POST",
      body: stream,
      headers: { "CF-Connecting-IP": newClientIp(), ...(await signRequest(SECRET, "")) },
      // @ts-expect-error: duplex is needed for a streamed request body
      duplex: "half",
    });
    const response = await exports.default.fetch(request);
    expect(response.status).toBe(413);
    expect(await json(response)).toEqual(expected);
    expect(sent).toBeLessThan(1024 * 1024);
  });

  it("a bad id just under the limit is echoed only as a short prefix", async () => {
    const id = `@${"y".repeat(MAX_BODY_BYTES - 100)}`;
    const response = await process({ clip_ids: [id] });
    expect(response.status).toBe(400);
    expect(await json(response)).toEqual({
      detail: `Invalid clip ID(s): @${"y".repeat(99)}… (too long). ${SUFFIX}`,
    });
    const path = await call(`/clip-status/${"z".repeat(5000)}`);
    expect((await path.text()).length).toBeLessThan(400);
  });
});

describe("3/4. clip URLs and VOD-shaped ids at the API", () => {
  it("reads the embed form as its clip, refuses other Twitch URLs clearly, and keeps v1234567 a clip", async () => {
    const embed = await json<ProcessClipsResponse>(
      await process({ clip_ids: ["https://clips.twitch.tv/embed?clip=tone-embed&parent=example.com"] }),
    );
    expect(embed.results?.results[0]).toMatchObject({ clip_id: "tone-embed", success: true });
    const refused = await process({
      clip_ids: ["https://clips.twitch.tv/embed", "https://www.twitch.tv/videos/123456"],
    });
    expect(await json(refused)).toEqual({
      detail: `Invalid clip ID(s): https://clips.twitch.tv/embed (not a Twitch clip URL), https://www.twitch.tv/videos/123456 (not a Twitch clip URL). ${SUFFIX}`,
    });
    // A bare id shaped like a VOD is a clip id: the engine asks the clip source (here a 404).
    const vodShaped = await json<ProcessClipsResponse>(await process({ clip_ids: ["v1234567"] }));
    expect(vodShaped.results?.results[0]).toMatchObject({
      clip_id: "v1234567",
      success: false,
      error_code: "not_found",
    });
  });
});

describe("9. service-binding callers are keyed by the binding", () => {
  it("a caller through the ClipAudioService entrypoint cannot pick its key with CF-Connecting-IP", async () => {
    const binding = exports.ClipAudioService({ props: { caller: `recap-${newNonce().slice(0, 8)}` } });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const headers = { ...(await signRequest(SECRET, "")), "CF-Connecting-IP": newClientIp() };
      statuses.push((await binding.fetch(new Request("http://clip-audio/tasks/stats", { headers }))).status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(statuses[10]).toBe(429);
    // Another binding caller has its own window.
    const other = exports.ClipAudioService({ props: { caller: `other-${newNonce().slice(0, 8)}` } });
    const response = await other.fetch(
      new Request("http://clip-audio/tasks/stats", { headers: await signRequest(SECRET, "") }),
    );
    expect(response.status).toBe(200);
  });

  it("the typed client works through the binding entrypoint, its idempotency key too", async () => {
    const client = createClipAudioClient(exports.ClipAudioService({ props: { caller: "client-test" } }), SECRET);
    const input = { clip_ids: ["tone-client"], background: true };
    const first = await client.processClips(input, { idempotencyKey: "client-test-key-0001" });
    expect(first.task_id).toEqual(expect.any(String));
    // A retried call answers the first one's task instead of starting another.
    expect(await client.processClips(input, { idempotencyKey: "client-test-key-0001" })).toEqual(first);
    const task = await client.task(first.task_id as string);
    expect(task).toMatchObject({ task_id: first.task_id, clip_ids: ["tone-client"] });
    // The binding's fetch is the HTTP API: the same task through a signed request.
    expect(await json(await call(`/task/${first.task_id}`))).toMatchObject({ task_id: first.task_id });
  });
});

describe("10. signature version 2", () => {
  const strict = { ...env, HMAC_REQUIRE_V2: "true" };
  const send = (request: Request, bindings: object = env) => app.fetch(request, bindings);

  async function signed(method: string, url: string, version: 1 | 2, body = "") {
    const target = version === 2 ? requestTarget(method, url) : undefined;
    const headers = { "CF-Connecting-IP": newClientIp(), ...(await signRequest(SECRET, body, { target })) };
    return new Request(url, { method, headers, ...(body ? { body } : {}) });
  }

  it("accepts version 2 and refuses its signature on another method, path or query", async () => {
    const url = "http://worker/api/clip-status/AbC";
    expect((await send(await signed("GET", url, 2))).status).toBe(200);
    const captured = await signed("GET", "http://worker/api/clip-status/AbC", 2);
    const headers = new Headers(captured.headers);
    for (const [method, target] of [
      ["DELETE", "http://worker/api/cleanup/AbC?dry_run=false&confirm=true"],
      ["GET", "http://worker/api/clip-status/XyZ"],
      ["GET", "http://worker/api/clip-status/AbC?x=1"],
    ] as const) {
      const replay = await send(new Request(target, { method, headers }));
      expect(replay.status).toBe(401);
      expect(await json(replay)).toEqual({ detail: "Security validation failed: signature mismatch" });
    }
  });

  it("HMAC_REQUIRE_V2 refuses version 1 with a clear reason and accepts version 2", async () => {
    const url = "http://worker/tasks/stats";
    expect((await send(await signed("GET", url, 1))).status).toBe(200);
    const refused = await send(await signed("GET", url, 1), strict);
    expect(refused.status).toBe(401);
    expect(await json(refused)).toEqual({
      detail: "Security validation failed: signature version 2 required (X-Request-Signature-Version: 2)",
    });
    expect((await send(await signed("GET", url, 2), strict)).status).toBe(200);
  });

  it("refuses an unknown version", async () => {
    const request = await signed("GET", "http://worker/tasks/stats", 1);
    request.headers.set("X-Request-Signature-Version", "3");
    expect(await json(await send(request))).toEqual({
      detail: "Security validation failed: unsupported signature version (X-Request-Signature-Version must be 1 or 2)",
    });
  });

  it("the typed client signs version 2 (works when version 2 is required)", async () => {
    const versions: (string | null)[] = [];
    const client = createClipAudioClient(
      {
        fetch: async (request) => {
          versions.push(request.headers.get("X-Request-Signature-Version"));
          return send(request, strict);
        },
      },
      SECRET,
    );
    // The same count as over the HTTP API, signed version 1 (no task is created in between;
    // earlier tasks may still end, so only the total is compared).
    expect((await client.taskStats()).total_tasks).toBe((await json(await call("/tasks/stats"))).total_tasks);
    await expect(client.cleanup("tone-never", { dryRun: true })).resolves.toMatchObject({
      message: "No files found for this clip",
    });
    expect(versions).toEqual(["2", "2"]);
  });

  it("a version 2 POST signs the body too", async () => {
    const url = "http://worker/process-clips";
    const body = JSON.stringify({ clip_ids: ["a"] });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = newNonce();
    const signature = await computeSignature(SECRET, body, timestamp, nonce, requestTarget("POST", url));
    const headers = {
      "CF-Connecting-IP": newClientIp(),
      "X-Request-Signature": signature,
      "X-Request-Timestamp": timestamp,
      "X-Request-Nonce": nonce,
      "X-Request-Signature-Version": "2",
    };
    const tampered = await send(
      new Request(url, { method: "POST", headers, body: JSON.stringify({ clip_ids: ["b"] }) }),
    );
    expect(tampered.status).toBe(401);
  });
});
