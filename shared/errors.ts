/**
 * Stable error codes shared by the engine, the Worker and their callers.
 * The engine classifies; the Worker maps codes to HTTP and to retry decisions.
 */
import { z } from "zod";

export const ErrorCode = z.enum([
  "invalid_id",
  "not_found",
  "unavailable",
  "too_long",
  "download_failed",
  "timeout",
  "extract_failed",
  "storage_failed",
  "storage_misconfigured",
  "insufficient_disk",
  "cancelled",
  "extractor_outdated",
  /** ffmpeg, yt-dlp or python3 is not installed where the engine looks: retrying cannot help. */
  "tool_missing",
  "container_unavailable",
  /**
   * The engine is stopping (a rollout, a host move, a settings change) or stopped under a job:
   * the job is started again or re-attached; this costs none of the clip's attempts.
   */
  "engine_restarting",
  "internal",
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** Codes worth another attempt: the cause is likely transient. */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "download_failed",
  "insufficient_disk",
  "timeout",
  "storage_failed",
  "container_unavailable",
  "engine_restarting",
  "internal",
]);

export const JobError = z.object({
  code: ErrorCode,
  message: z.string(),
  retryable: z.boolean(),
});
export type JobError = z.infer<typeof JobError>;

/** A typed failure carrying a stable code; thrown by the engine, mapped in one place. */
export class ClipAudioError extends Error {
  override readonly name = "ClipAudioError";
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  get retryable(): boolean {
    return RETRYABLE_CODES.has(this.code);
  }

  toJSON(): JobError {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}
