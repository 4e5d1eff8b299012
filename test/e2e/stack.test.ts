/**
 * The whole service on one machine, as `npm start` runs it (scripts/stack.ts): s3rver (a test
 * double of S3), the engine process and `wrangler dev`, on free ports, with clips from the
 * local fixture server (Twitch cannot be reached here). Requests go over real HTTP, signed.
 */
import { resolve } from "node:path";
import { AwsClient } from "aws4fetch";
import { execa } from "execa";
import { describe, expect, it, vi } from "vitest";
import { signRequest } from "../../shared/hmac.ts";
import { keys } from "../../shared/keys.ts";
import type {
  CleanupResponse,
  ClipStatus,
  ListProcessedResponse,
  ProcessClipsResponse,
  Task,
} from "../../shared/schemas.ts";
import { decodeWav, dominantFrequency } from "../support/audio.ts";
import { SPEECH_WAV } from "../support/ffprobe.ts";
import { CLIP_SECONDS } from "../support/media.ts";
import { callerHeaders, callerRecord } from "../support/recap-caller.ts";
import { S3RVER_KEYS } from "../support/s3-credentials.ts";
import { stackBed } from "../support/stack-bed.ts";

const SECRET = "e2e-secret-0123456789";
let ipCounter = 0;
const bed = stackBed(SECRET);

/** A fresh client address per test (the Worker keys its rate limit on CF-Connecting-IP). */
const newIp = () => `198.51.100.${++ipCounter}`;

async function api(
  path: string,
  options: { method?: string; body?: unknown; ip?: string; sign?: boolean } = {},
): Promise<Response> {
  const body = options.body === undefined ? "" : JSON.stringify(options.body);
  const method = options.method ?? (body ? "POST" : "GET");
  const headers: Record<string, string> = { "CF-Connecting-IP": options.ip ?? newIp() };
  if (body) headers["content-type"] = "application/json";
  if (options.sign !== false) Object.assign(headers, await signRequest(SECRET, body));
  return fetch(`${bed.stack.urls.worker}${path}`, { method, headers, ...(body ? { body } : {}) });
}

const bucket = () => new AwsClient({ ...S3RVER_KEYS, service: "s3", region: "auto" });
const objectUrl = (key: string) => `${bed.stack.urls.bucket}/clip-recap-pipeline/${key}`;

const clipState = async (id: string) => ((await (await api(`/clip-status/${id}`)).json()) as ClipStatus).state;

describe("the local stack", () => {
  it("processes a clip synchronously; the WAV in the bucket is 16 kHz mono 440 Hz", async () => {
    const response = await api("/api/process-clips", { body: { clip_ids: ["tone-e2e"] } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as ProcessClipsResponse;
    expect(body).toMatchObject({ success: true, message: "Processed 1/1 clips successfully" });
    const wav = await bucket().fetch(objectUrl(keys.wav("tone-e2e")));
    expect(wav.status).toBe(200);
    const decoded = decodeWav(Buffer.from(await wav.arrayBuffer()));
    expect(decoded).toMatchObject(SPEECH_WAV);
    expect(Math.abs(decoded.durationSeconds - CLIP_SECONDS)).toBeLessThan(0.05);
    expect(decoded.headerDurationSeconds).toBeCloseTo(decoded.durationSeconds, 3);
    expect(dominantFrequency(decoded.samples, decoded.sampleRate)).toBe(440);
  });

  it("processes in the background; /task and /clip-status reach completed", async () => {
    const response = await api("/process-clips", { body: { clip_ids: ["tone-e2e-bg"], background: true } });
    expect(response.status).toBe(202);
    const { task_id } = (await response.json()) as ProcessClipsResponse;
    const task = await vi.waitFor(
      async () => {
        const now = (await (await api(`/task/${task_id}`)).json()) as Task;
        if (now.status !== "completed" && now.status !== "failed") throw new Error(`task is ${now.status}`);
        return now;
      },
      { timeout: 60_000, interval: 100 },
    );
    expect(task.status).toBe("completed");
    const status = (await (await api("/clip-status/tone-e2e-bg")).json()) as ClipStatus;
    expect(status).toMatchObject({ state: "completed", audio_processed: true, ready_for_transcription: true });
  });

  it("lists processed clips page by page", async () => {
    await api("/process-clips", { body: { clip_ids: ["tone-e2e-l1", "tone-e2e-l2"] } });
    const first = (await (await api("/list-processed-clips?limit=1")).json()) as ListProcessedResponse;
    expect(first).toMatchObject({ total_processed: 1, has_more: true });
    const second = (await (
      await api(`/list-processed-clips?limit=1&cursor=${first.cursor}`)
    ).json()) as ListProcessedResponse;
    expect(second.clips).toHaveLength(1);
    expect(second.clips[0]).not.toBe(first.clips[0]);
  });

  it("cleans up: dry run lists, confirmed run deletes from the bucket", async () => {
    await api("/process-clips", { body: { clip_ids: ["tone-e2e-clean"] } });
    const dry = (await (await api("/cleanup/tone-e2e-clean", { method: "DELETE" })).json()) as {
      files_to_delete: string[];
    };
    expect(dry.files_to_delete).toContain(keys.wav("tone-e2e-clean"));
    const real = await api("/cleanup/tone-e2e-clean?dry_run=false&confirm=true", { method: "DELETE" });
    expect(real.status).toBe(200);
    expect((await bucket().fetch(objectUrl(keys.wav("tone-e2e-clean")))).status).toBe(404);
  });

  it("refuses unsigned and replayed requests, and limits a client after 10 requests", async () => {
    expect((await api("/tasks/stats", { sign: false })).status).toBe(401);
    const headers = { "CF-Connecting-IP": newIp(), ...(await signRequest(SECRET, "")) };
    expect((await fetch(`${bed.stack.urls.worker}/tasks/stats`, { headers })).status).toBe(200);
    expect((await fetch(`${bed.stack.urls.worker}/tasks/stats`, { headers })).status).toBe(401);
    const ip = newIp();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await api("/tasks/stats", { ip })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(statuses[10]).toBe(429);
  });

  it("signs with scripts/signed-curl.sh as the README shows", async () => {
    const result = await execa(
      resolve(import.meta.dirname, "../../scripts/signed-curl.sh"),
      ["GET", `${bed.stack.urls.worker}/api/tasks/stats`],
      {
        env: { HMAC_SHARED_SECRET: SECRET },
      },
    );
    expect(JSON.parse(result.stdout)).toHaveProperty("total_tasks");
  });

  it("downloads once for 100 concurrent requests for the same clip", async () => {
    const before = bed.fixtures.downloads().length;
    const responses = await Promise.all(
      Array.from({ length: 100 }, () => api("/process-clips", { body: { clip_ids: ["tone-e2e-100"] } })),
    );
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as ProcessClipsResponse[];
    expect(bodies.every((b) => b.success)).toBe(true);
    expect(bed.fixtures.downloads().length - before).toBe(1);
  }, 60_000);

  it("answers 503 while the bucket is down, and recovers", async () => {
    await bed.stack.stopService("bucket");
    const down = await api("/clip-status/tone-e2e");
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ detail: "Storage service temporarily unavailable" });
    await bed.stack.restartService("bucket");
    const up = await api("/clip-status/tone-e2e");
    expect(up.status).toBe(200);
  }, 60_000);

  it("never reports a job as complete when the container dies in the middle", async () => {
    const pending = api("/process-clips", { body: { clip_ids: ["slow-e2e-kill"] } });
    // Killed in the middle: once the Worker has heard from the engine that it is downloading.
    await expect.poll(() => clipState("slow-e2e-kill"), { timeout: 20_000, interval: 100 }).toBe("downloading");
    bed.stack.processes.container?.kill("SIGKILL");
    const body = (await (await pending).json()) as ProcessClipsResponse;
    expect(body.success).toBe(false);
    expect(body.results?.results[0]).toMatchObject({ success: false, error_code: "container_unavailable" });
    const status = (await (await api("/clip-status/slow-e2e-kill")).json()) as ClipStatus;
    expect(status).toMatchObject({ audio_processed: false, state: "failed" });
    expect(status.error).toMatch(/media engine/);
    await bed.stack.restartService("container");
  }, 60_000);
});

/**
 * The recap pipeline's Worker played step by step (test/support/recap-caller.ts), the way issue
 * 14 found it: it stores its Twitch clip record at clips/{id}.json, POSTs the day's clips in one
 * synchronous batch signed its way, waits a fixed 5 s, judges success by HEAD audio/{id}.wav,
 * reads the WAV, and cleans up. Its record must come through byte for byte. The test HEADs as
 * soon as the POST answers: stricter than the caller's 5 s wait, which it does not repeat.
 */
describe("the recap pipeline as a caller", () => {
  const ids = ["tone-caller-a", "tone-caller-b", "tone-caller-c"];

  const callerFetch = async (path: string, method: string, body = "") =>
    fetch(`${bed.stack.urls.worker}${path}`, {
      method,
      // CF-Connecting-IP is what Cloudflare's edge adds in front of a deployed Worker.
      headers: { ...(await callerHeaders(SECRET, body)), "CF-Connecting-IP": newIp() },
      ...(body ? { body } : {}),
    });

  async function readRecord(id: string) {
    const response = await bucket().fetch(objectUrl(keys.callerRecord(id)));
    expect(response.status).toBe(200);
    return { body: await response.text(), lastModified: response.headers.get("last-modified") };
  }

  it("stores its records, POSTs, HEADs and reads the WAVs, cleans up; its records never change", async () => {
    for (const id of ids) {
      const headers = { "Content-Type": "application/json" };
      const put = await bucket().fetch(objectUrl(keys.callerRecord(id)), {
        method: "PUT",
        body: callerRecord(id),
        headers,
      });
      expect(put.ok).toBe(true);
    }
    const stored = await Promise.all(ids.map(readRecord));
    // The caller's record is not ours: with only it in the bucket, the clip is not processed.
    const before = (await (await callerFetch(`/api/clip-status/${ids[0]}`, "GET")).json()) as ClipStatus;
    expect(before).toMatchObject({ state: "not_found", audio_processed: false, video_stored: false });
    const unchanged = async () => expect(await Promise.all(ids.map(readRecord))).toEqual(stored);

    // One synchronous POST for the batch; the records are read again and again while it runs.
    let posting = true;
    const watching = (async () => {
      let reads = 0;
      for (; posting; reads++) {
        await unchanged();
        // The pace of the checks while the POST runs, not a wait for anything.
        await new Promise((r) => setTimeout(r, 100));
      }
      return reads;
    })();
    const response = await callerFetch(
      "/api/process-clips",
      "POST",
      JSON.stringify({ clip_ids: ids, background: false }),
    );
    posting = false;
    expect(await watching).toBeGreaterThan(0);
    expect(response.ok).toBe(true);
    const result = (await response.json()) as ProcessClipsResponse;
    expect(result.message).toBe("Processed 3/3 clips successfully");
    for (const clip of result.results?.results ?? []) {
      expect(clip.files_uploaded).not.toContain(keys.callerRecord(clip.clip_id));
    }

    // Success as the caller judges it, then its transcriber reads each WAV.
    for (const id of ids) {
      const head = await bucket().fetch(objectUrl(keys.wav(id)), { method: "HEAD" });
      expect(head.status).toBe(200);
      const size = Number(head.headers.get("content-length"));
      const wav = Buffer.from(await (await bucket().fetch(objectUrl(keys.wav(id)))).arrayBuffer());
      expect(wav.subarray(0, 4).toString("latin1")).toBe("RIFF");
      expect(wav.length).toBe(size);
      expect(wav.readUInt32LE(4)).toBe(size - 8);
      // 16 kHz mono 16-bit: 32 000 bytes a second after the 44-byte header.
      expect(Math.abs((size - 44) / 32_000 - CLIP_SECONDS)).toBeLessThan(0.05);
      // And as an independent decoder reads it.
      const decoded = decodeWav(wav);
      expect(decoded).toMatchObject(SPEECH_WAV);
      expect(Math.abs(decoded.durationSeconds - CLIP_SECONDS)).toBeLessThan(0.05);
    }
    const status = (await (await callerFetch(`/api/clip-status/${ids[0]}`, "GET")).json()) as ClipStatus;
    expect(status).toMatchObject({ audio_processed: true, ready_for_transcription: true, state: "completed" });
    const listed = (await (
      await callerFetch("/api/list-processed-clips?limit=1000", "GET")
    ).json()) as ListProcessedResponse;
    expect(listed.clips).toEqual(expect.arrayContaining(ids));
    await unchanged();

    for (const id of ids) {
      const cleanup = await callerFetch(`/api/cleanup/${id}?dry_run=false&confirm=true`, "DELETE");
      expect(cleanup.status).toBe(200);
      const body = (await cleanup.json()) as CleanupResponse;
      expect(body.deleted_files.sort()).toEqual([keys.manifest(id), keys.peaks(id), keys.wav(id)].sort());
      expect(body.summary).toEqual({ total_files: 3, successfully_deleted: 3, failed_deletions: 0 });
      expect((await bucket().fetch(objectUrl(keys.wav(id)), { method: "HEAD" })).status).toBe(404);
    }
    await unchanged();
    for (const [i, id] of ids.entries()) expect(stored[i]?.body).toBe(callerRecord(id));
  }, 60_000);
});
