/**
 * The API contract as zod schemas: every request, response and error body of the public
 * routes, the manifest and metadata objects of the bucket. Types are inferred, never
 * written twice.
 */
import { z } from "zod";
import { ErrorCode } from "./errors.ts";
import { ExtractorBuildStatus, ExtractorChange, ExtractorTrial } from "./extractor-channel-schemas.ts";

// ---- bucket objects ------------------------------------------------------------------

export const SourceKind = z.enum(["clip", "vod", "url"]);
export type SourceKind = z.infer<typeof SourceKind>;

/**
 * What yt-dlp told us about the source; kept in the manifest (`source_metadata`), never at
 * `clips/{id}.json`, which is the caller's.
 */
export const ClipMetadata = z.object({
  clip_id: z.string(),
  title: z.string().nullable(),
  broadcaster: z.string().nullable(),
  created_at: z.string().nullable(),
  duration: z.number().nullable(),
  view_count: z.number().int().nullable(),
  url: z.string(),
});
export type ClipMetadata = z.infer<typeof ClipMetadata>;

export const ChunkEntry = z.object({
  key: z.string(),
  index: z.number().int().nonnegative(),
  start_s: z.number().nonnegative(),
  duration_s: z.number().positive(),
});
export type ChunkEntry = z.infer<typeof ChunkEntry>;

/**
 * `audio/{id}.peaks.json`: the waveform at a glance, `[min, max]` pairs of s16 samples scaled to
 * -127..127 per `samples_per_peak` samples (audiowaveform's JSON shape, 8 bits), for the console.
 */
export const Peaks = z.object({
  version: z.literal(1),
  sample_rate: z.number().int().positive(),
  samples_per_peak: z.number().int().positive(),
  length: z.number().int().nonnegative(),
  data: z.array(z.number().int().min(-128).max(127)),
});
export type Peaks = z.infer<typeof Peaks>;

/** Seconds on the source's timeline. */
export const MutedRange = z.object({ start_s: z.number().nonnegative(), end_s: z.number().nonnegative() });
export type MutedRange = z.infer<typeof MutedRange>;

/** `audio/{id}.json`: written last; its presence means every other artifact is complete. */
export const Manifest = z.object({
  clip_id: z.string(),
  source: z.object({ kind: SourceKind, url: z.string() }),
  duration_s: z.number().nonnegative(),
  sample_rate: z.number().int().positive(),
  channels: z.number().int().positive(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  chunks: z.array(ChunkEntry),
  chunk_overlap_s: z.number().nonnegative().default(0),
  video_key: z.string().nullable(),
  files: z.array(z.string()),
  processed_at: z.string(),
  tools: z.object({ ffmpeg: z.string().nullable(), yt_dlp: z.string().nullable(), engine: z.string() }),
  /** Null in manifests written before it moved here from `clips/{id}.json`. */
  source_metadata: ClipMetadata.nullable().default(null),
  /** Ranges of an HLS VOD the source refused (Twitch's muted parts): silence in the WAV. Absent when none. */
  muted: z.array(MutedRange).optional(),
});
export type Manifest = z.infer<typeof Manifest>;

/**
 * A stored manifest's content, or null when it is absent or unreadable. Both sides treat an
 * unreadable manifest as absent: the clip is not complete, and the engine processes it again.
 */
export function parseManifest(text: string | null): Manifest | null {
  if (text === null) return null;
  try {
    const parsed = Manifest.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

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

// ---- tasks ---------------------------------------------------------------------------

export const TaskStatus = z.enum(["queued", "running", "completed", "failed"]);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const Task = z.object({
  task_id: z.string(),
  status: TaskStatus,
  clip_ids: z.array(z.string()),
  created_at: z.string(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  results: ProcessResults.nullable(),
  error: z.string().nullable(),
});
export type Task = z.infer<typeof Task>;

export const TaskList = z.object({ tasks: z.array(Task), total: z.number().int() });
export type TaskList = z.infer<typeof TaskList>;

/** DELETE /task/{task_id}. */
export const TaskDeleted = z.object({ task_id: z.string(), deleted: z.literal(true), message: z.string() });
export type TaskDeleted = z.infer<typeof TaskDeleted>;

export const TaskStats = z.object({
  total_tasks: z.number().int(),
  by_status: z.object({
    queued: z.number().int(),
    running: z.number().int(),
    completed: z.number().int(),
    failed: z.number().int(),
  }),
});
export type TaskStats = z.infer<typeof TaskStats>;

// ---- GET /health ---------------------------------------------------------------------

/** A program the engine runs that is not there, with how to install it. */
export const MissingTool = z.object({
  tool: z.enum(["ffmpeg", "yt-dlp", "python3"]),
  /** e.g. "ffmpeg not found on PATH: install it with `apt-get install ffmpeg`". */
  message: z.string(),
});
export type MissingTool = z.infer<typeof MissingTool>;

export const EngineHealth = z.object({
  /** `missing_tools`: jobs fail at once until what `missing_tools` lists is installed. */
  status: z.enum(["ok", "draining", "missing_tools"]),
  ffmpeg: z.string().nullable(),
  yt_dlp: z.string().nullable(),
  /** Days since the yt-dlp release (its version is a date); Twitch breaks old ones. */
  yt_dlp_age_days: z.number().int().nonnegative().nullable().default(null),
  /** Set when that yt-dlp is likely too old for Twitch (past ~90 days), with what to do. */
  yt_dlp_warning: z.string().nullable().default(null),
  active_jobs: z.number().int().nonnegative(),
  max_concurrency: z.number().int().positive(),
  missing_tools: z.array(MissingTool).default([]),
});
export type EngineHealth = z.infer<typeof EngineHealth>;

export const ExtractorStatus = z.object({
  /** `unknown` until a job or the canary has run since the last deploy. */
  state: z.enum(["ok", "outdated", "unknown"]),
  /** "ok", "outdated since <time> (yt-dlp <version>)" or "unknown": for people reading /health. */
  summary: z.string(),
  since: z.string().nullable(),
  yt_dlp: z.string().nullable(),
  /** Days since that yt-dlp's release (its version is the date). */
  yt_dlp_age_days: z.number().int().nullable(),
  /** Set when that yt-dlp is likely too old for Twitch. */
  yt_dlp_warning: z.string().nullable(),
  checked_at: z.string().nullable(),
  last_error: z.string().nullable(),
  /** What runs jobs now: the image's pinned release, or the channel build the canary promoted. */
  channel: z.enum(["pinned", "stable", "nightly"]).optional(),
  /** EXTRACTOR_CHANNEL, the operator's choice: pinned, auto, stable or nightly. */
  policy: z.string().optional(),
  /** The promoted build jobs run (null: the pin): release tag, zipapp SHA-256, when and why. */
  build: ExtractorBuildStatus.nullable().optional(),
  /** The last promotion or rollback. */
  last_change: ExtractorChange.nullable().optional(),
  /** The last channel build tried on the canary clip, and how that went. */
  last_trial: ExtractorTrial.nullable().optional(),
});
export type ExtractorStatus = z.infer<typeof ExtractorStatus>;

export const Health = z.object({
  status: z.enum(["healthy", "unhealthy"]),
  ffmpeg_available: z.boolean(),
  r2_configured: z.boolean(),
  cache_healthy: z.boolean(),
  cache_type: z.literal("DurableObject"),
  container: z.object({
    state: z.string(),
    ffmpeg: z.string().nullable(),
    yt_dlp: z.string().nullable(),
    checked_at: z.string().nullable(),
  }),
  /** Whether yt-dlp can still read Twitch, as last seen by a job or the canary. */
  extractor: ExtractorStatus,
  /**
   * Why `status` is unhealthy, one sentence each, naming what to fix (settings by name, never a
   * value); empty when healthy. E.g. the bucket credentials a production engine lacks.
   */
  problems: z.array(z.string()),
});
export type Health = z.infer<typeof Health>;

// ---- errors --------------------------------------------------------------------------

/** Every error response of the API: `{"detail": "<message>"}`. */
export const ErrorBody = z.object({ detail: z.string() });
export type ErrorBody = z.infer<typeof ErrorBody>;
