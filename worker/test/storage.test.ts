import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signRequest } from "../../shared/hmac.ts";
import type {
  CleanupResponse,
  ClipResult,
  ClipStatus,
  ListProcessedResponse,
  TaskList,
  TaskStats,
} from "../../shared/schemas.ts";
import { S3RVER_KEYS } from "../../test/support/s3-credentials.ts";
import app from "../src/index.ts";
import { R2Storage, S3Storage } from "../src/storage.ts";
import { call, json, newClientIp, SECRET } from "./helpers.ts";

const processSync = (ids: string[]) => call("/process-clips", { body: { clip_ids: ids } });

describe("GET /clip-status", () => {
  it("says not_found for an unknown clip and 400 for a bad id", async () => {
    expect(await json<ClipStatus>(await call("/clip-status/never-seen"))).toMatchObject({
      state: "not_found",
      audio_processed: false,
      ready_for_transcription: false,
      duration: null,
    });
    const bad = await call("/clip-status/a.b");
    expect(bad.status).toBe(400);
  });

  it("is 503, never a false not-processed, when the bucket is down", async () => {
    const headers = { ...(await signRequest(SECRET, "")), "CF-Connecting-IP": newClientIp() };
    const response = await app.fetch(new Request("http://worker/clip-status/tone-any", { headers }), {
      ...env,
      S3_ENDPOINT: "http://127.0.0.1:9",
    });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ detail: "Storage service temporarily unavailable" });
  });
});

describe("GET /list-processed-clips", () => {
  it("pages through processed clips with a cursor; chunk keys never use a slot", async () => {
    expect((await processSync(["tone-list1", "tone-list2", "tone-list3"])).status).toBe(200);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ListProcessedResponse = await json(
        await call(`/list-processed-clips?limit=2${cursor ? `&cursor=${cursor}` : ""}`),
      );
      expect(page.clips.length).toBeLessThanOrEqual(2);
      expect(page.total_processed).toBe(page.clips.length);
      if (page.has_more) expect(page.clips).toHaveLength(2);
      seen.push(...page.clips);
      cursor = page.cursor;
      expect(page.has_more).toBe(cursor !== null);
    } while (cursor);
    expect(seen).toEqual(expect.arrayContaining(["tone-list1", "tone-list2", "tone-list3"]));
    expect(new Set(seen).size).toBe(seen.length);
    const bad = await call("/list-processed-clips?cursor=garbage");
    expect(bad.status).toBe(400);
  });
});

describe("DELETE /cleanup", () => {
  it("lists on dry run, needs confirm, deletes everything, then finds nothing", async () => {
    await processSync(["tone-clean"]);
    const files = ["audio/tone-clean.wav", "audio/tone-clean.json", "audio/tone-clean.peaks.json"];
    const dry = await json<CleanupResponse>(await call("/cleanup/tone-clean", { method: "DELETE" }));
    expect(dry).toMatchObject({
      dry_run: true,
      message: "Dry run - no files were actually deleted",
      deleted_files: [],
      summary: { total_files: 3, successfully_deleted: 0, failed_deletions: 0 },
    });
    expect(dry.files_to_delete.sort()).toEqual([...files].sort());
    const unconfirmed = await call("/cleanup/tone-clean?dry_run=false", { method: "DELETE" });
    expect(unconfirmed.status).toBe(400);
    expect(await json(unconfirmed)).toEqual({
      detail: "Actual deletion requires confirm=true parameter. Use dry_run=true for preview.",
    });
    const real = await json<CleanupResponse>(
      await call("/cleanup/tone-clean?dry_run=false&confirm=true", { method: "DELETE" }),
    );
    expect(real).toMatchObject({
      dry_run: false,
      message: "Successfully deleted 3 files for clip tone-clean",
      failed_deletions: [],
      summary: { total_files: 3, successfully_deleted: 3, failed_deletions: 0 },
    });
    expect(real.deleted_files[0]).toBe("audio/tone-clean.json");
    expect(await json(await call("/cleanup/tone-clean", { method: "DELETE" }))).toMatchObject({
      message: "No files found for this clip",
      files_to_delete: [],
    });
    expect((await json<ClipStatus>(await call("/clip-status/tone-clean"))).audio_processed).toBe(false);
  });

  it("answers 207 with the original's shape when some deletions fail, and never touches clips/{id}.json", async () => {
    const id = "partial-cleanup";
    const record = JSON.stringify({ id, embed_url: "https://clips.twitch.tv/embed?clip=pc", stored_at: "2026-11-26" });
    await Promise.all([
      env.BUCKET.put(`clips/${id}.json`, record),
      env.BUCKET.put(`audio/${id}.wav`, "RIFF"),
      env.BUCKET.put(`audio/${id}.json`, "{}"),
    ]);
    // The R2 binding, with deletes of WAVs failing: a bucket that answers some requests only.
    const failingWavDeletes = new Proxy(env.BUCKET, {
      get(bucket, name) {
        if (name !== "delete") return Reflect.get(bucket, name).bind(bucket);
        return (key: string) => (key.endsWith(".wav") ? Promise.reject(new Error("internal")) : bucket.delete(key));
      },
    });
    const headers = { ...(await signRequest(SECRET, "")), "CF-Connecting-IP": newClientIp() };
    const response = await app.fetch(
      new Request(`http://worker/cleanup/${id}?dry_run=false&confirm=true`, { method: "DELETE", headers }),
      { ...env, S3_ENDPOINT: "", BUCKET: failingWavDeletes },
    );
    expect(response.status).toBe(207);
    expect(await json<CleanupResponse>(response)).toEqual({
      clip_id: id,
      dry_run: false,
      message: "Partial cleanup completed. 1 files deleted, 1 failed.",
      files_to_delete: [`audio/${id}.wav`, `audio/${id}.json`],
      deleted_files: [`audio/${id}.json`],
      failed_deletions: [{ file: `audio/${id}.wav`, error: "Storage service temporarily unavailable" }],
      summary: { total_files: 2, successfully_deleted: 1, failed_deletions: 1 },
    });
    expect(await (await env.BUCKET.get(`clips/${id}.json`))?.text()).toBe(record);
  });

  it("refuses while the clip is being processed (409)", async () => {
    const started = call("/process-clips", { body: { clip_ids: ["slow-clean"] } });
    // Ask once the engine is downloading it (the slow source runs into the engine's 3 s timeout).
    await expect
      .poll(async () => (await json<ClipStatus>(await call("/clip-status/slow-clean"))).state, {
        timeout: 10_000,
        interval: 50,
      })
      .toBe("downloading");
    const response = await call("/cleanup/slow-clean", { method: "DELETE" });
    expect(response.status).toBe(409);
    const result = await json<{ results: { results: { error_code: string }[] } }>(await started);
    expect(result.results.results[0]?.error_code).toBe("timeout");
  });
});

describe("tasks", () => {
  it("404s an unknown task, lists newest first and counts by status", async () => {
    const missing = await call("/task/nope");
    expect(missing.status).toBe(404);
    expect(await json(missing)).toEqual({ detail: "Task not found" });
    // Three tasks of known outcome: one still running, one completed, one failed.
    const store = env.TASKS.get(env.TASKS.idFromName("tasks"));
    const before = await json<TaskStats>(await call("/tasks/stats"));
    const finished = (clip_id: string, success: boolean): ClipResult => ({
      clip_id,
      success,
      error: success ? null : "The clip does not exist",
      error_code: success ? null : "not_found",
      files_uploaded: [],
      duration: success ? 1 : null,
      needs_chunking: false,
      skipped: false,
    });
    const running = await store.create(["tone-stats-r"]);
    const completed = await store.create(["tone-stats-c"]);
    const failed = await store.create(["missing-stats-f"]);
    await store.clipFinished(completed.task_id, finished("tone-stats-c", true));
    await store.clipFinished(failed.task_id, finished("missing-stats-f", false));
    const list = await json<TaskList>(await call("/tasks?limit=5"));
    expect(list.tasks.length).toBeLessThanOrEqual(5);
    expect(list.tasks.map((t) => t.task_id)).toEqual(
      expect.arrayContaining([running.task_id, completed.task_id, failed.task_id]),
    );
    const times = list.tasks.map((t) => t.created_at);
    expect([...times].sort().reverse()).toEqual(times);
    const stats = await json<TaskStats>(await call("/tasks/stats"));
    expect(stats).toEqual({
      total_tasks: before.total_tasks + 3,
      by_status: {
        queued: before.by_status.queued,
        running: before.by_status.running + 1,
        completed: before.by_status.completed + 1,
        failed: before.by_status.failed + 1,
      },
    });
  });

  it("deletes a finished task and refuses a running one", async () => {
    const store = env.TASKS.get(env.TASKS.idFromName("tasks"));
    const task = await store.create(["tone-t1"]);
    const running = await call(`/task/${task.task_id}`, { method: "DELETE" });
    expect(running.status).toBe(409);
    await store.clipFinished(task.task_id, {
      clip_id: "tone-t1",
      success: true,
      error: null,
      error_code: null,
      files_uploaded: [],
      duration: 1,
      needs_chunking: false,
      skipped: true,
    });
    expect((await call(`/task/${task.task_id}`, { method: "DELETE" })).status).toBe(200);
    expect((await call(`/task/${task.task_id}`)).status).toBe(404);
  });
});

describe("storage implementations", () => {
  async function exercise(storage: R2Storage | S3Storage, put: (key: string) => Promise<void>) {
    for (const key of [
      "audio/zz-a.wav",
      "audio/zz-a.json",
      "audio/zz-a/chunk_000.wav",
      "audio/zz-a/chunk_001.wav",
      "audio/zz-b.wav",
    ])
      await put(key);
    expect(await storage.exists("audio/zz-a.wav")).toBe(true);
    expect(await storage.exists("audio/zz-none.wav")).toBe(false);
    expect(await storage.readText("audio/zz-a.json")).toBe("x");
    expect(await storage.readText("audio/zz-none.json")).toBeNull();
    const page = await storage.list({ prefix: "audio/zz-", delimiter: "/", limit: 10 });
    expect(page.keys.sort()).toEqual(["audio/zz-a.json", "audio/zz-a.wav", "audio/zz-b.wav"]);
    expect(page.prefixes).toEqual(["audio/zz-a/"]);
    const after = await storage.list({ prefix: "audio/zz-", delimiter: "/", limit: 10, startAfter: "audio/zz-a.wav" });
    expect(after.keys).toEqual(["audio/zz-b.wav"]);
    await storage.delete("audio/zz-b.wav");
    expect(await storage.exists("audio/zz-b.wav")).toBe(false);
    // What the console's player needs: the size, and a stretch of the bytes.
    expect((await storage.head("audio/zz-a.wav"))?.size).toBe(1);
    expect(await storage.head("audio/zz-none.wav")).toBeNull();
    expect(await new Response(await storage.getRange("audio/zz-a.wav", { offset: 0, length: 1 })).text()).toBe("x");
    expect(await storage.getRange("audio/zz-none.wav", { offset: 0, length: 1 })).toBeNull();
  }

  it("R2 binding", async () => {
    await exercise(new R2Storage(env.BUCKET), async (key) => {
      await env.BUCKET.put(key, "x");
    });
    await env.BUCKET.put("audio/zz-range.wav", "0123456789", { httpMetadata: { contentType: "audio/wav" } });
    const storage = new R2Storage(env.BUCKET);
    expect(await storage.head("audio/zz-range.wav")).toEqual({ size: 10, contentType: "audio/wav" });
    expect(await new Response(await storage.getRange("audio/zz-range.wav", { offset: 3, length: 4 })).text()).toBe(
      "3456",
    );
  });

  it("S3 API (s3rver, a test double of S3)", async () => {
    const { accessKeyId, secretAccessKey } = S3RVER_KEYS;
    const storage = new S3Storage(env.S3_ENDPOINT as string, "clip-recap-pipeline", accessKeyId, secretAccessKey);
    const { AwsClient } = await import("aws4fetch");
    const client = new AwsClient({ ...S3RVER_KEYS, service: "s3", region: "auto" });
    await exercise(storage, async (key) => {
      const response = await client.fetch(`${env.S3_ENDPOINT}/clip-recap-pipeline/${key}`, {
        method: "PUT",
        body: "x",
      });
      expect(response.ok).toBe(true);
    });
  });
});

describe("configuration guards and open routes", () => {
  it("fails every request with a clear 500 when the secret is missing", async () => {
    const response = await app.fetch(new Request("http://worker/tasks/stats"), { ...env, HMAC_SHARED_SECRET: "" });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      detail: "Server configuration error: HMAC_SHARED_SECRET is not configured",
    });
  });

  it("refuses DISABLE_AUTH in production", async () => {
    const response = await app.fetch(new Request("http://worker/tasks/stats"), {
      ...env,
      DISABLE_AUTH: "true",
      ENVIRONMENT: "production",
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      detail: "Server configuration error: DISABLE_AUTH=true is refused in production",
    });
  });

  it("refuses a demo source (DEMO_SOURCE_URL) outside development", async () => {
    for (const [ENVIRONMENT, detail] of [
      ["production", "DEMO_SOURCE_URL is refused in production (local development only)"],
      [
        "staging",
        "DEMO_SOURCE_URL requires one of ENVIRONMENT, NODE_ENV, PYTHON_ENV, FLASK_ENV, VERCEL_ENV to say development, dev or test",
      ],
    ]) {
      const response = await app.fetch(new Request("http://worker/tasks/stats"), {
        ...env,
        DEMO_SOURCE_URL: "http://127.0.0.1:8791",
        ENVIRONMENT,
      });
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ detail: `Server configuration error: ${detail}` });
    }
  });

  it("serves an OpenAPI document with every route", async () => {
    const doc = await json<{ openapi: string; paths: Record<string, unknown> }>(
      await call("/openapi.json", { sign: false }),
    );
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/health",
        "/process-clips",
        "/clip-status/{clip_id}",
        "/list-processed-clips",
        "/cleanup/{clip_id}",
        "/task/{task_id}",
        "/tasks",
        "/tasks/stats",
      ].sort(),
    );
  });

  it("reports health with the engine's tool versions", async () => {
    const response = await call("/api/health", { sign: false });
    const body = await json<{
      status: string;
      cache_type: string;
      container: { ffmpeg: string | null; yt_dlp: string | null };
    }>(response);
    expect(response.status).toBe(200);
    expect(body).toMatchObject({
      status: "healthy",
      ffmpeg_available: true,
      r2_configured: true,
      cache_healthy: true,
      cache_type: "DurableObject",
    });
    expect(body.container.yt_dlp).toMatch(/^\d{4}\.\d{2}\.\d{2}/);
  });

  it("answers unknown routes with a JSON 404", async () => {
    const response = await call("/nope");
    expect(response.status).toBe(404);
    expect(await json(response)).toEqual({ detail: "Not Found" });
  });
});
