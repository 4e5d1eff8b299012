/**
 * The protocol between the Worker and the engine: a job request, and the
 * newline-delimited JSON events the engine streams back while it runs the job.
 *
 *   POST   /jobs            JobRequest → 200, body: NDJSON JobStreamLine stream: the job's
 *                           events, ending with exactly one `completed` or `failed` event, or
 *                           with `released` when the request's `follow_seconds` passed first
 *                           (the job runs on); `heartbeat` lines keep a quiet stream alive.
 *                           503 `engine_restarting` while the engine drains (SIGTERM).
 *   DELETE /jobs/{clip_id}  cancel → 204, or 404 when no such job runs
 *   GET    /health          EngineHealth (no auth)
 *
 * Requests are signed with the same HMAC scheme as the public API (shared/hmac.ts).
 */
import { z } from "zod";
import { JobError } from "./errors.ts";
import { Manifest } from "./schemas.ts";

/**
 * Engine instances the Worker spreads clips over (by clip id, so a clip's jobs coalesce on one).
 * Every environment's `max_instances` in wrangler.toml must allow at least this many, or clips
 * hashed to the missing instances wait for capacity (a test checks it). 4: one standard-1
 * instance sustains about 80 clips/min (README, "What one standard-1 instance sustains"), so 4
 * carry about three times the most one caller can send (10 requests of 10 clips a minute).
 */
export const ENGINE_INSTANCES = 4;

export const ENGINE_ROUTES = {
  jobs: "/jobs",
  job: (clipId: string) => `/jobs/${encodeURIComponent(clipId)}`,
  health: "/health",
  /** Resolves a channel's newest yt-dlp build, downloaded and verified (ExtractorResolve). */
  extractorResolve: "/extractor/resolve",
} as const;

/** yt-dlp's update channels besides the pinned release. */
export const ExtractorChannel = z.enum(["stable", "nightly"]);
export type ExtractorChannel = z.infer<typeof ExtractorChannel>;

/**
 * A yt-dlp build the engine may run instead of its pinned release: a release tag of the channel's
 * official repository and the SHA-256 of its `yt-dlp` zipapp. The engine downloads it only from
 * that repository and runs it only after the release's signed SHA2-256SUMS verified and named
 * this checksum, so a job request can choose among yt-dlp's own signed builds and nothing else.
 */
export const ExtractorBuild = z.object({
  channel: ExtractorChannel,
  tag: z.string().regex(/^\d{4}\.\d{2}\.\d{2}(?:\.\d{1,12})?$/, "a yt-dlp release tag (yyyy.mm.dd[.rev])"),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "a lowercase hex SHA-256"),
});
export type ExtractorBuild = z.infer<typeof ExtractorBuild>;

/** POST /extractor/resolve: the body, and the answer (200) when a build verified. */
export const ExtractorResolveRequest = z.object({ channel: ExtractorChannel });
export const ExtractorResolved = z.object({ build: ExtractorBuild });

export const JobRequest = z.object({
  clip_id: z.string(),
  force: z.boolean().default(false),
  /** Overrides the engine's STORE_VIDEO for this job. */
  store_video: z.boolean().optional(),
  /**
   * Follow a job the Worker started earlier: join it while it runs, or get its result when it
   * ended within the engine's retention; only when neither exists is it started again. This lets
   * a Durable Object follow a job longer than one alarm may last.
   */
  follow: z.boolean().default(false),
  /**
   * The Worker looked just before sending the job (beside its other work) and the bucket had no
   * manifest of the clip: the engine starts at once instead of asking the bucket the same again.
   * Ignored with `force`. Absent or false (the CLI, an older Worker): the engine looks itself.
   */
  known_new: z.boolean().default(false),
  /** The canary: the whole pipeline runs, but nothing is written to (or read from) the bucket. */
  canary: z.boolean().default(false),
  /**
   * How long this stream follows the job: then the engine ends it with `released` and the job
   * runs on. The engine ends the stream, not the Worker: a request aborted from the Worker's
   * side leaks the Container's in-flight count (@cloudflare/containers #241/#242), and an
   * instance that counts a request in flight never sleeps. Unset: until the job ends.
   */
  follow_seconds: z
    .number()
    .int()
    .min(1)
    .max(24 * 3600)
    .optional(),
  /**
   * The yt-dlp build this job runs (the promoted one, or one on trial); null: the pinned release.
   * Unset: the pinned release too (a Worker that knows no channels).
   */
  extractor: ExtractorBuild.nullable().optional(),
});
export type JobRequest = z.infer<typeof JobRequest>;
/** A job request as the Worker writes it (defaults filled in by the engine). */
export type JobRequestInput = z.input<typeof JobRequest>;

/** The tool versions of the engine that ran a job: how the Worker learns them without a probe. */
export const EngineTools = z.object({
  ffmpeg: z.string().nullable(),
  yt_dlp: z.string().nullable(),
  /** The channel build the job ran; null or absent: the pinned release. */
  yt_dlp_build: ExtractorBuild.nullable().optional(),
});
export type EngineTools = z.infer<typeof EngineTools>;

export const JobStage = z.enum(["downloading", "extracting", "uploading"]);
export type JobStage = z.infer<typeof JobStage>;

export const JobResult = z.object({
  clip_id: z.string(),
  skipped: z.boolean(),
  files_uploaded: z.array(z.string()),
  duration_s: z.number().nonnegative(),
  needs_chunking: z.boolean(),
  manifest: Manifest,
});
export type JobResult = z.infer<typeof JobResult>;

export const JobEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("state"), stage: JobStage }),
  z.object({
    type: z.literal("progress"),
    stage: JobStage,
    percent: z.number().min(0).max(100).nullable(),
    bytes: z.number().int().nonnegative().nullable(),
    total_bytes: z.number().int().nonnegative().nullable(),
  }),
  z.object({ type: z.literal("completed"), result: JobResult, tools: EngineTools.optional() }),
  z.object({ type: z.literal("failed"), error: JobError, tools: EngineTools.optional() }),
]);
export type JobEvent = z.infer<typeof JobEvent>;

/** How often the engine writes a `heartbeat` line on a stream that has had nothing else to say. */
export const HEARTBEAT_SECONDS = 10;

/**
 * A line of the job stream: a job event, a `heartbeat` (the job is alive, nothing new: no idle
 * timeout between the engine and the Worker can cut a quiet stream), or `released` (the
 * request's `follow_seconds` passed; the job runs on and a `follow` request joins it again).
 */
export const JobStreamLine = z.discriminatedUnion("type", [
  ...JobEvent.options,
  z.object({ type: z.literal("heartbeat") }),
  z.object({ type: z.literal("released") }),
]);
export type JobStreamLine = z.infer<typeof JobStreamLine>;
export type FinalJobEvent = Extract<JobEvent, { type: "completed" | "failed" }>;
