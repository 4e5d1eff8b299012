/** What a clip job's attempt ends in, as the contract's ClipResult, and what it tells about the engine. */
import { ClipAudioError, type ErrorCode } from "../../../shared/errors.ts";
import type { FinalJobEvent } from "../../../shared/job.ts";
import { keys } from "../../../shared/keys.ts";
import type { ClipResult } from "../../../shared/schemas.ts";
import type { WorkerConfig } from "../config.ts";
import { log } from "../log.ts";
import { bucketStorage } from "../storage.ts";
import { ENGINE_MONITOR_NAME, engineObservation } from "./engine-monitor.ts";

export function failedResult(clipId: string, error: ClipAudioError): ClipResult {
  return {
    clip_id: clipId,
    success: false,
    error: error.message,
    error_code: error.code,
    files_uploaded: [],
    duration: null,
    needs_chunking: false,
    skipped: false,
  };
}

export function isRetryable(code: ErrorCode): boolean {
  return new ClipAudioError(code, "").retryable;
}

/**
 * The engine's final event as a result. A completed job counts only when the Worker sees its
 * manifest through its own binding: the engine writes through the S3 API to R2_BUCKET, and a
 * binding to another bucket would otherwise report clips that no reader of that bucket can find.
 */
export async function finalResult(
  env: Env,
  config: WorkerConfig,
  clipId: string,
  final: FinalJobEvent,
): Promise<ClipResult> {
  if (final.type === "failed") return failedResult(clipId, new ClipAudioError(final.error.code, final.error.message));
  let visible: boolean;
  try {
    visible = await bucketStorage(env, config).exists(keys.manifest(clipId));
  } catch (error) {
    return failedResult(clipId, new ClipAudioError("storage_failed", (error as Error).message));
  }
  if (!visible) {
    log("error", { msg: "bucket mismatch", clip_id: clipId, r2_bucket: config.R2_BUCKET });
    return failedResult(clipId, bucketMismatch(clipId, config.R2_BUCKET));
  }
  const done = final.result;
  return {
    clip_id: clipId,
    success: true,
    error: null,
    error_code: null,
    files_uploaded: done.files_uploaded,
    duration: done.duration_s,
    needs_chunking: done.needs_chunking,
    skipped: done.skipped,
  };
}

export function bucketMismatch(clipId: string, bucket: string): ClipAudioError {
  return new ClipAudioError(
    "storage_misconfigured",
    `The engine wrote ${keys.manifest(clipId)} to bucket "${bucket}" (R2_BUCKET), but the Worker's BUCKET binding does not see it: R2_BUCKET and the binding's bucket_name must name the same bucket`,
  );
}

/** What this job told about the engine, for `/health` (a failure to record it fails nothing). */
export async function observeEngine(env: Env, final: FinalJobEvent, clipId?: string): Promise<void> {
  await env.ENGINE_MONITOR.get(env.ENGINE_MONITOR.idFromName(ENGINE_MONITOR_NAME))
    .observe({ ...engineObservation(final), ...(clipId ? { clip_id: clipId } : {}) })
    .catch((error: unknown) => log("warn", { msg: "engine monitor unavailable", error: String(error) }));
}
