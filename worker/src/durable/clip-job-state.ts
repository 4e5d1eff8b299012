/**
 * What a ClipJob stores: one record under one key, validated on every read, its migrations
 * applied when the object starts (./migrations.ts), and its state moved only as
 * shared/job-state.ts allows.
 */
import { z } from "zod";
import { ClipAudioError, ErrorCode } from "../../../shared/errors.ts";
import { canTransition, JobState } from "../../../shared/job-state.ts";
import { ClipResult } from "../../../shared/schemas.ts";
import type { Migration } from "./migrations.ts";

/** The clip's state as callers see it (GET /clip-status, the console). */
export const ClipJobState = z.object({
  clip_id: z.string(),
  state: JobState,
  progress: z.number().min(0).max(100).nullable(),
  error: z.string().nullable(),
  error_code: ErrorCode.nullable(),
  result: ClipResult.nullable(),
  /** Failed attempts of the current background work so far. */
  attempts: z.number().int().nonnegative(),
  /** When the next attempt starts, while a retry is pending (state `queued`). */
  retry_at: z.string().nullable(),
  /** The error of the last failed attempt, while the work goes on. */
  last_error: z.string().nullable(),
  /** Interruptions since the last failed attempt (a stream lost, an engine restarting). */
  interruptions: z.number().int().nonnegative(),
  updated_at: z.string(),
});
export type ClipJobState = z.infer<typeof ClipJobState>;

/** Tasks and callbacks waiting for the clip's background work to end. */
export const PendingWork = z.object({
  force: z.boolean(),
  taskIds: z.array(z.string()),
  callbackUrls: z.array(z.string()),
});
export type PendingWork = z.infer<typeof PendingWork>;

export const ClipJobRecord = z.object({
  clip_id: z.string(),
  /** Null before the first run, and once forgotten (the clip's objects were deleted). */
  state: ClipJobState.nullable(),
  /** Background work owed; an alarm carries it. */
  pending: PendingWork.nullable(),
  /** The engine has (or had) this job: the next attempt joins it (`follow`), it does not start one. */
  following: z.boolean(),
  /** Work whose clip failed as extractor_outdated, run once more after a yt-dlp promotion. */
  outdated_work: PendingWork.nullable(),
});
export type ClipJobRecord = z.infer<typeof ClipJobRecord>;

export const RECORD_KEY = "job";

/** Why and when the work goes on, while it does. */
export type RetryFields = Partial<Pick<ClipJobState, "retry_at" | "last_error" | "interruptions">>;

/** Waiting for its first attempt, or (with when and why) for a retry. */
export function queuedState(clipId: string, attempts: number, retry?: RetryFields): Omit<ClipJobState, "updated_at"> {
  const idle = { progress: null, error: null, error_code: null, result: null };
  return {
    clip_id: clipId,
    state: "queued",
    ...idle,
    attempts,
    retry_at: null,
    last_error: null,
    interruptions: 0,
    ...retry,
  };
}

/** The final state of `result`'s clip: no retry follows. */
export function settledState(result: ClipResult, attempts: number): Omit<ClipJobState, "updated_at"> {
  return {
    clip_id: result.clip_id,
    state: result.success ? "completed" : "failed",
    progress: result.success ? 100 : null,
    error: result.error,
    error_code: result.error_code,
    result,
    attempts,
    retry_at: null,
    last_error: null,
    interruptions: 0,
  };
}

export function emptyRecord(clipId: string): ClipJobRecord {
  return { clip_id: clipId, state: null, pending: null, following: false, outdated_work: null };
}

/** The stored record, or null; a record that does not parse is a specific internal error, never guessed at. */
export function readRecord(storage: DurableObjectStorage): ClipJobRecord | null {
  const stored = storage.kv.get(RECORD_KEY);
  if (stored === undefined) return null;
  const parsed = ClipJobRecord.safeParse(stored);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ClipAudioError("internal", `Stored clip job record is invalid (${issues.join("; ")})`);
  }
  return parsed.data;
}

/** A change to some of the record's parts (its clip stays). */
export type RecordChange = (record: ClipJobRecord) => Partial<Omit<ClipJobRecord, "clip_id">>;

/** Applies `change` to the stored record; a record left with nothing in it is removed. */
export function updateRecord(storage: DurableObjectStorage, clipId: string, change: RecordChange): void {
  const record = readRecord(storage) ?? emptyRecord(clipId);
  const next = { ...record, ...change(record) };
  const empty = !next.state && !next.pending && !next.following && !next.outdated_work;
  if (empty) storage.kv.delete(RECORD_KEY);
  else storage.kv.put(RECORD_KEY, next);
}

/** One task's background request for the clip. */
export interface QueuedWork {
  force: boolean;
  taskId: string;
  callbackUrl?: string | undefined;
}

/** The work owed, with `work` added (a forced request makes all of it forced). */
export function withWork(pending: PendingWork | null, work: QueuedWork): PendingWork {
  return {
    force: (pending?.force ?? false) || work.force,
    taskIds: [...(pending?.taskIds ?? []), work.taskId],
    callbackUrls: [...(pending?.callbackUrls ?? []), ...(work.callbackUrl ? [work.callbackUrl] : [])],
  };
}

/** Refuses a move of the job's state that shared/job-state.ts does not allow. */
export function checkTransition(clipId: string, from: ClipJobState | null, to: ClipJobState): void {
  if (!canTransition(from?.state ?? null, to.state))
    throw new ClipAudioError(
      "internal",
      `Clip job ${clipId} cannot go from ${from?.state ?? "no state"} to ${to.state}`,
    );
}

/**
 * ClipJob's storage versions: none yet. The one record above is the layout of the first
 * deployment; a change to it comes with a step here that rewrites the stored record.
 */
export const CLIP_JOB_MIGRATIONS: readonly Migration[] = [];
