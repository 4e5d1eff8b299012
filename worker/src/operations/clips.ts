/**
 * The clip operations: process, status, listing and cleanup. Both doors call these: the HTTP
 * routes (../routes/clips.ts) and the RPC entrypoint (../rpc.ts), so validation (the shared zod
 * schemas) and the job code are the same for both.
 */
import { base64url } from "jose";
import { readManifest } from "../../../shared/bucket.ts";
import { invalidClipIdMessage, parseClipId, parseClipIdList } from "../../../shared/clip-id.ts";
import { clipIdFromWavKey, fixedClipKeys, keys } from "../../../shared/keys.ts";
import {
  type CleanupResponse,
  type ClipResult,
  type ClipStatus,
  ListProcessedQuery,
  type ListProcessedResponse,
  ProcessClipsRequest,
  type ProcessClipsResponse,
} from "../../../shared/schemas.ts";
import { ApiError } from "../errors.ts";
import type { OperationContext } from "./context.ts";

export function clipJob(env: Env, clipId: string) {
  return env.CLIP_JOBS.get(env.CLIP_JOBS.idFromName(clipId));
}

/** The id a path (or an RPC argument) names (a clip URL reduced, surrounding blanks dropped), or the contract's 400. */
export function validClipId(clipId: string): string {
  const parsed = parseClipId(clipId);
  if (!parsed.ok) throw new ApiError(400, invalidClipIdMessage(clipId) ?? "Invalid clip ID");
  return parsed.id;
}

/** The request body validated by the contract's schema, or the contract's 400 naming the problem. */
export function validateProcessRequest(input: unknown): ProcessClipsRequest {
  const parsed = ProcessClipsRequest.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiError(400, `Invalid request body: ${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
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

export interface ProcessAnswer {
  status: 200 | 202;
  response: ProcessClipsResponse;
}

/** Validates the request and does the work: background tasks queued, or clips processed. */
export async function processClips(
  { env, config }: OperationContext,
  input: unknown,
  {
    onIds = () => {},
    caller,
  }: {
    /** Told the parsed ids once they are valid (for the request log). */
    onIds?: (ids: string[]) => void;
    /** The RPC door's caller; its background task records it. */
    caller?: string;
  } = {},
): Promise<ProcessAnswer> {
  const body = validateProcessRequest(input);
  const ids = parseClipIdList(body.clip_ids);
  if (!ids.ok) throw new ApiError(400, ids.message);
  onIds(ids.ids);
  if (body.callback_url && !config.CALLBACK_HOSTS.includes(new URL(body.callback_url).hostname.toLowerCase())) {
    throw new ApiError(400, `callback_url host ${new URL(body.callback_url).hostname} is not allowed (CALLBACK_HOSTS)`);
  }
  if (body.background) {
    const task = await env.TASKS.get(env.TASKS.idFromName("tasks")).create(ids.ids, caller);
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
    } satisfies ProcessAnswer;
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
  } satisfies ProcessAnswer;
}

/** What is known of a clip: its objects in the bucket and its job's own word. */
export async function clipStatus({ env, storage }: OperationContext, rawClipId: string): Promise<ClipStatus> {
  const clipId = validClipId(rawClipId);
  const [wav, video, transcript, manifest, job] = await Promise.all([
    storage.exists(keys.wav(clipId)),
    storage.exists(keys.video(clipId)),
    storage.exists(keys.transcript(clipId, "json")),
    readManifest(storage, clipId),
    clipJob(env, clipId).getState(),
  ]);
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
  return body;
}

/** Enough objects per listing call for `wanted` clips, each with a WAV and a manifest. */
const LIST_BATCH = 1000;

/** Clips with a WAV, a page at a time; `limit` as a query gives it (a string, maybe empty) or a number. */
export async function listProcessedClips(
  { storage }: OperationContext,
  options: { limit?: string | number | undefined; cursor?: string | undefined } = {},
): Promise<ListProcessedResponse> {
  // An empty value means the default, as an absent one does (the schema says so).
  const query = ListProcessedQuery.parse(options);
  let startAfter = query.cursor ? decodeCursor(query.cursor) : undefined;
  const found: string[] = [];
  let exhausted = false;
  // Listing with a delimiter folds each clip's chunks into one prefix, so they use no slots;
  // keep listing until the page holds one clip more than asked (to know there is more).
  while (found.length <= query.limit && !exhausted) {
    const page = await storage.list({ prefix: "audio/", delimiter: "/", startAfter, limit: LIST_BATCH });
    for (const key of page.keys) {
      const id = clipIdFromWavKey(key);
      if (id) found.push(id);
    }
    exhausted = !page.truncated || page.keys.length === 0;
    startAfter = page.keys.at(-1) ?? startAfter;
  }
  const clipsOnPage = found.slice(0, query.limit);
  const hasMore = found.length > query.limit;
  return {
    clips: clipsOnPage,
    total_processed: clipsOnPage.length,
    cursor: hasMore ? encodeCursor(keys.wav(clipsOnPage.at(-1) as string)) : null,
    has_more: hasMore,
  };
}

function encodeCursor(key: string): string {
  return base64url.encode(key);
}

function decodeCursor(cursor: string): string {
  try {
    const key = new TextDecoder().decode(base64url.decode(cursor));
    if (clipIdFromWavKey(key)) return key;
  } catch {
    // fall through
  }
  throw new ApiError(400, "Invalid cursor");
}

export interface CleanupAnswer {
  /** 207 when some deletions failed. */
  status: 200 | 207;
  response: CleanupResponse;
}

/** Lists (dry run, the default) or deletes every object of the clip but the caller's record. */
export async function cleanup(
  { env, storage }: OperationContext,
  rawClipId: string,
  { dryRun = true, confirm = false }: { dryRun?: boolean; confirm?: boolean } = {},
): Promise<CleanupAnswer> {
  const clipId = validClipId(rawClipId);
  if (!dryRun && !confirm) {
    throw new ApiError(400, "Actual deletion requires confirm=true parameter. Use dry_run=true for preview.");
  }
  if (await clipJob(env, clipId).isBusy()) {
    throw new ApiError(409, `Clip ${clipId} is being processed; try again when it has finished`);
  }
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
    const response: CleanupResponse = {
      ...base,
      message: files.length === 0 ? "No files found for this clip" : "Dry run - no files were actually deleted",
      deleted_files: [],
      failed_deletions: [],
      summary: counts(0, 0),
    };
    return { status: 200, response };
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
  if (failed.length === 0) await clipJob(env, clipId).forget();
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
  return { status: failed.length ? 207 : 200, response: body };
}
