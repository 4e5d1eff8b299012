/**
 * The clip routes' bodies: POST /process-clips, GET /clip-status/{clip_id},
 * GET /list-processed-clips, DELETE /cleanup/{clip_id}, and every error's `{"detail"}`.
 */
import { z } from "zod";
import { ErrorCode } from "../errors.ts";
import { ChunkEntry } from "./bucket-objects.ts";

// ---- POST /process-clips -------------------------------------------------------------

export const ProcessClipsRequest = z.object({
  clip_ids: z.array(z.string()),
  background: z.boolean().default(false),
  force: z.boolean().default(false),
  callback_url: z.url({ protocol: /^https?$/ }).optional(),
});
export type ProcessClipsRequest = z.infer<typeof ProcessClipsRequest>;
/** The same body as a caller writes it (`background` and `force` may be left out). */
export type ProcessClipsInput = z.input<typeof ProcessClipsRequest>;

export const ClipResult = z.object({
  clip_id: z.string(),
  success: z.boolean(),
  error: z.string().nullable(),
  error_code: ErrorCode.nullable().default(null),
  files_uploaded: z.array(z.string()),
  duration: z.number().nullable(),
  needs_chunking: z.boolean(),
  skipped: z.boolean(),
});
export type ClipResult = z.infer<typeof ClipResult>;

export const ProcessResults = z.object({
  total: z.number().int(),
  successful: z.number().int(),
  failed: z.number().int(),
  results: z.array(ClipResult),
});
export type ProcessResults = z.infer<typeof ProcessResults>;

export const ProcessClipsResponse = z.object({
  success: z.boolean(),
  message: z.string(),
  task_id: z.string().nullable(),
  results: ProcessResults.nullable(),
});
export type ProcessClipsResponse = z.infer<typeof ProcessClipsResponse>;

// ---- GET /clip-status/{clip_id} ------------------------------------------------------

export const ClipState = z.enum([
  "not_found",
  "queued",
  "downloading",
  "extracting",
  "uploading",
  "completed",
  "failed",
]);
export type ClipState = z.infer<typeof ClipState>;

export const ClipStatus = z.object({
  clip_id: z.string(),
  audio_processed: z.boolean(),
  video_stored: z.boolean(),
  transcript_ready: z.boolean(),
  ready_for_transcription: z.boolean(),
  state: ClipState,
  progress: z.number().min(0).max(100).nullable(),
  error: z.string().nullable(),
  duration: z.number().nullable(),
  chunks: z.array(ChunkEntry),
  /** Beside the contract's keys: the attempt running or next (1, 2, …) while the work goes on. */
  attempt: z.number().int().positive().nullable().default(null),
  /** When the next attempt starts, while a retry is pending (`state: "queued"`). */
  retry_at: z.string().nullable().default(null),
  /** Why the last attempt failed, while a retry is pending or running. */
  last_error: z.string().nullable().default(null),
});
export type ClipStatus = z.infer<typeof ClipStatus>;

// ---- GET /list-processed-clips -------------------------------------------------------

/** A query string's value where blank means "not given". */
const unlessBlank = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);

/**
 * A page size (`?limit=` of the listings, or a number from the RPC door): absent, blank or not an
 * integer means 50; clamped to 1..1000, never refused (the contract).
 */
export const PageLimit = z.preprocess(
  unlessBlank,
  z.coerce
    .number()
    .int()
    .catch(50)
    .transform((n) => Math.min(1000, Math.max(1, n))),
);

export const ListProcessedQuery = z.object({
  limit: PageLimit,
  /** An empty cursor is the first page; any other that does not decode is refused by the listing. */
  cursor: z.preprocess((value) => (value === "" ? undefined : value), z.string().optional()),
});

export const TasksQuery = z.object({ limit: PageLimit });

export const ListProcessedResponse = z.object({
  clips: z.array(z.string()),
  total_processed: z.number().int(),
  cursor: z.string().nullable(),
  has_more: z.boolean(),
});
export type ListProcessedResponse = z.infer<typeof ListProcessedResponse>;

// ---- DELETE /cleanup/{clip_id} -------------------------------------------------------

export const CleanupResponse = z.object({
  clip_id: z.string(),
  dry_run: z.boolean(),
  message: z.string(),
  files_to_delete: z.array(z.string()),
  deleted_files: z.array(z.string()),
  failed_deletions: z.array(z.object({ file: z.string(), error: z.string() })),
  /**
   * The original's counts. It sent them only after an actual deletion; here they are always
   * there (a dry run counts what it would delete), which no reader of the original minds.
   */
  summary: z.object({
    total_files: z.number().int(),
    successfully_deleted: z.number().int(),
    failed_deletions: z.number().int(),
  }),
});
export type CleanupResponse = z.infer<typeof CleanupResponse>;

// ---- errors --------------------------------------------------------------------------

/** Every error response of the API: `{"detail": "<message>"}`. */
export const ErrorBody = z.object({ detail: z.string() });
export type ErrorBody = z.infer<typeof ErrorBody>;
