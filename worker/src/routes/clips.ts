/** The clip routes: process, status, listing and cleanup. */
import { Hono } from "hono";
import { invalidClipIdMessage, parseClipId, parseClipIdList } from "../../../shared/clip-id.ts";
import { IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_PATTERN } from "../../../shared/hmac.ts";
import { clipIdFromWavKey, fixedClipKeys, keys } from "../../../shared/keys.ts";
import {
  type CleanupResponse,
  type ClipResult,
  type ClipStatus,
  ListProcessedQuery,
  Manifest,
  ProcessClipsRequest,
  type ProcessClipsResponse,
} from "../../../shared/schemas.ts";
import type { WorkerConfig } from "../config.ts";
import { ApiError } from "../errors.ts";
import type { AppEnv } from "../types.ts";

export const clips = new Hono<AppEnv>();

function clipJob(env: Env, clipId: string) {
  return env.CLIP_JOBS.get(env.CLIP_JOBS.idFromName(clipId));
}

/** The id a path names (a clip URL reduced, surrounding blanks dropped), or the contract's 400. */
function validClipId(clipId: string): string {
  const parsed = parseClipId(clipId);
  if (!parsed.ok) throw new ApiError(400, invalidClipIdMessage(clipId) ?? "Invalid clip ID");
  return parsed.id;
}

async function readBody(request: Request): Promise<ProcessClipsRequest> {
  let json: unknown;
  try {
    json = await request.json();
  } catch {
    throw new ApiError(400, "Request body must be valid JSON");
  }
  const parsed = ProcessClipsRequest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiError(400, `Invalid request body: ${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Runs `work` over `items` with at most `limit` at once, keeping order. */
async function mapBounded<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function summary(results: ClipResult[]) {
  const successful = results.filter((r) => r.success).length;
  return { total: results.length, successful, failed: results.length - successful, results };
}

/**
 * How long a request waits for the first one with its idempotency key and body to answer
 * before it gets 409: a retried request wants the first one's response (that is what the key
 * promises), but is not held open indefinitely.
 */
const IDEMPOTENCY_WAIT_MS = 60_000;

interface Answer {
  status: 200 | 202;
  response: ProcessClipsResponse;
}

/** Validates the request and does the work: background tasks queued, or clips processed. */
async function processClips(env: Env, config: WorkerConfig, request: Request, setIds: (ids: string[]) => void) {
  const body = await readBody(request);
  const ids = parseClipIdList(body.clip_ids);
  if (!ids.ok) throw new ApiError(400, ids.message);
  setIds(ids.ids);
  if (body.callback_url && !config.CALLBACK_HOSTS.includes(new URL(body.callback_url).hostname.toLowerCase())) {
    throw new ApiError(400, `callback_url host ${new URL(body.callback_url).hostname} is not allowed (CALLBACK_HOSTS)`);
  }
  if (body.background) {
    const task = await env.TASKS.get(env.TASKS.idFromName("tasks")).create(ids.ids);
    for (const id of ids.ids) {
      await clipJob(env, id).enqueue(id, { force: body.force, taskId: task.task_id, callbackUrl: body.callback_url });
    }
    return {
      status: 202,
      response: {
        success: true,
        message: `Processing ${ids.ids.length} clips in background`,
        results: null,
        task_id: task.task_id,
      },
    } satisfies Answer;
  }
  const results = await mapBounded(ids.ids, config.SYNC_CONCURRENCY, (id) => clipJob(env, id).run(id, body.force));
  const s = summary(results);
  return {
    status: 200,
    response: {
      success: s.failed === 0,
      message: `Processed ${s.successful}/${s.total} clips successfully`,
      task_id: null,
      results: s,
    },
  } satisfies Answer;
}

const JSON_TYPE = { "content-type": "application/json" };

clips.post("/process-clips", async (c) => {
  const idempotencyKey = c.req.header(IDEMPOTENCY_HEADER);
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
    throw new ApiError(400, `${IDEMPOTENCY_HEADER} must be 16-64 letters, digits or hyphens`);
  }
  const work = () => processClips(c.env, c.var.config, c.req.raw, (ids) => c.set("clipIds", ids));
  if (!idempotencyKey) {
    const answer = await work();
    return c.json(answer.response, answer.status);
  }
  // Claimed before the work, so concurrent requests with one key cannot all do it.
  const store = c.env.IDEMPOTENCY.get(c.env.IDEMPOTENCY.idFromName(idempotencyKey));
  const bodyHash = await sha256Hex(await c.req.raw.clone().text());
  const claim = await store.claim(bodyHash, IDEMPOTENCY_WAIT_MS);
  if (claim.outcome === "conflict") {
    throw new ApiError(422, `${IDEMPOTENCY_HEADER} was already used with a different body`);
  }
  if (claim.outcome === "busy") {
    throw new ApiError(409, `${IDEMPOTENCY_HEADER} is in use by a request still in progress; retry later`, {
      "Retry-After": "10",
    });
  }
  if (claim.outcome === "done") {
    const { status, body } = claim.response;
    return c.body(body, status as 200, { ...JSON_TYPE, "Idempotent-Replayed": "true" });
  }
  let answer: Answer;
  try {
    answer = await work();
  } catch (error) {
    // Refused or failed before it had a response: the key is free for a corrected request.
    await store.release(bodyHash);
    throw error;
  }
  const text = JSON.stringify(answer.response);
  await store.complete({ bodyHash, status: answer.status, body: text });
  return c.body(text, answer.status, JSON_TYPE);
});

clips.get("/clip-status/:clipId", async (c) => {
  const clipId = validClipId(c.req.param("clipId"));
  c.set("clipIds", [clipId]);
  const storage = c.var.storage;
  const [wav, video, transcript, manifestText, job] = await Promise.all([
    storage.exists(keys.wav(clipId)),
    storage.exists(keys.video(clipId)),
    storage.exists(keys.transcript(clipId, "json")),
    storage.getText(keys.manifest(clipId)),
    clipJob(c.env, clipId).getState(),
  ]);
  const manifest = parseManifest(manifestText);
  // Complete only when the manifest (written last) is there; a job's own word comes next.
  const audioProcessed = wav && manifest !== null;
  const jobSays = job && job.state !== "completed" ? job : null;
  const state = jobSays ? jobSays.state : audioProcessed ? "completed" : "not_found";
  const working = jobSays !== null && jobSays.state !== "failed";
  const body: ClipStatus = {
    clip_id: clipId,
    audio_processed: audioProcessed,
    video_stored: video,
    transcript_ready: transcript,
    ready_for_transcription: audioProcessed && !transcript,
    state,
    // Progress belongs to the state it is shown with: never 100 beside not_found.
    progress: state === "completed" ? 100 : (jobSays?.progress ?? null),
    error: state === "failed" ? (job?.error ?? null) : null,
    duration: manifest?.duration_s ?? null,
    chunks: manifest?.chunks ?? [],
    attempt: working ? jobSays.attempts + 1 : null,
    retry_at: working ? (jobSays.retry_at ?? null) : null,
    last_error: working ? (jobSays.last_error ?? null) : null,
  };
  return c.json(body);
});

/** The manifest's content, or null when absent or unreadable (then the clip is not complete). */
function parseManifest(text: string | null): Manifest | null {
  if (text === null) return null;
  try {
    const parsed = Manifest.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Enough objects per listing call for `wanted` clips, each with a WAV and a manifest. */
const LIST_BATCH = 1000;

clips.get("/list-processed-clips", async (c) => {
  // An empty value means the default, as an absent one does.
  const query = ListProcessedQuery.parse({
    limit: c.req.query("limit")?.trim() || undefined,
    cursor: c.req.query("cursor") || undefined,
  });
  let startAfter = query.cursor ? decodeCursor(query.cursor) : undefined;
  const found: string[] = [];
  let exhausted = false;
  // Listing with a delimiter folds each clip's chunks into one prefix, so they use no slots;
  // keep listing until the page holds one clip more than asked (to know there is more).
  while (found.length <= query.limit && !exhausted) {
    const page = await c.var.storage.list({ prefix: "audio/", delimiter: "/", startAfter, limit: LIST_BATCH });
    for (const key of page.keys) {
      const id = clipIdFromWavKey(key);
      if (id) found.push(id);
    }
    exhausted = !page.truncated || page.keys.length === 0;
    startAfter = page.keys.at(-1) ?? startAfter;
  }
  const clipsOnPage = found.slice(0, query.limit);
  const hasMore = found.length > query.limit;
  return c.json({
    clips: clipsOnPage,
    total_processed: clipsOnPage.length,
    cursor: hasMore ? encodeCursor(keys.wav(clipsOnPage.at(-1) as string)) : null,
    has_more: hasMore,
  });
});

function encodeCursor(key: string): string {
  return btoa(key).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeCursor(cursor: string): string {
  try {
    const key = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    if (clipIdFromWavKey(key)) return key;
  } catch {
    // fall through
  }
  throw new ApiError(400, "Invalid cursor");
}

clips.delete("/cleanup/:clipId", async (c) => {
  const clipId = validClipId(c.req.param("clipId"));
  c.set("clipIds", [clipId]);
  const dryRun = c.req.query("dry_run") !== "false";
  const confirm = c.req.query("confirm") === "true";
  if (!dryRun && !confirm) {
    throw new ApiError(400, "Actual deletion requires confirm=true parameter. Use dry_run=true for preview.");
  }
  if (await clipJob(c.env, clipId).isBusy()) {
    throw new ApiError(409, `Clip ${clipId} is being processed; try again when it has finished`);
  }
  const storage = c.var.storage;
  const fixed = fixedClipKeys(clipId);
  const present = await Promise.all(fixed.map((key) => storage.exists(key)));
  const chunkKeys: string[] = [];
  let startAfter: string | undefined;
  for (;;) {
    const page = await storage.list({ prefix: keys.chunkPrefix(clipId), startAfter, limit: 1000 });
    chunkKeys.push(...page.keys);
    if (!page.truncated || page.keys.length === 0) break;
    startAfter = page.keys.at(-1);
  }
  const files = [...fixed.filter((_, i) => present[i]), ...chunkKeys];
  const base = { clip_id: clipId, dry_run: dryRun, files_to_delete: files };
  const counts = (deleted: number, failed: number) => ({
    total_files: files.length,
    successfully_deleted: deleted,
    failed_deletions: failed,
  });
  if (files.length === 0 || dryRun) {
    return c.json({
      ...base,
      message: files.length === 0 ? "No files found for this clip" : "Dry run - no files were actually deleted",
      deleted_files: [],
      failed_deletions: [],
      summary: counts(0, 0),
    } satisfies CleanupResponse);
  }
  // The manifest goes first: from then on nothing claims the clip is complete.
  const ordered = [...files].sort((a, b) => Number(b === keys.manifest(clipId)) - Number(a === keys.manifest(clipId)));
  const deleted: string[] = [];
  const failed: { file: string; error: string }[] = [];
  for (const key of ordered) {
    try {
      await storage.delete(key);
      deleted.push(key);
    } catch {
      failed.push({ file: key, error: "Storage service temporarily unavailable" });
    }
  }
  // The clip's objects are gone: so is its job record, and status reads like a clip never processed.
  if (failed.length === 0) await clipJob(c.env, clipId).forget();
  const body: CleanupResponse = {
    ...base,
    // The original's messages, word for word (its callers may match on them).
    message: failed.length
      ? `Partial cleanup completed. ${deleted.length} files deleted, ${failed.length} failed.`
      : `Successfully deleted ${deleted.length} files for clip ${clipId}`,
    deleted_files: deleted,
    failed_deletions: failed,
    summary: counts(deleted.length, failed.length),
  };
  return c.json(body, failed.length ? 207 : 200);
});
