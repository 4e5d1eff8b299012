/**
 * The protocol between the Worker and the engine: a job request, and the
 * newline-delimited JSON events the engine streams back while it runs the job.
 *
 *   POST   /jobs            JobRequest → 200, body: NDJSON JobEvent stream (ends with
 *                           exactly one `completed` or `failed` event)
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
 * hashed to the missing instances wait for capacity (a test checks it).
 */
export const ENGINE_INSTANCES = 4;

export const ENGINE_ROUTES = {
  jobs: "/jobs",
  job: (clipId: string) => `/jobs/${encodeURIComponent(clipId)}`,
  health: "/health",
} as const;

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
  /** The canary: the whole pipeline runs, but nothing is written to (or read from) the bucket. */
  canary: z.boolean().default(false),
});
export type JobRequest = z.infer<typeof JobRequest>;
/** A job request as the Worker writes it (defaults filled in by the engine). */
export type JobRequestInput = z.input<typeof JobRequest>;

/** The tool versions of the engine that ran a job: how the Worker learns them without a probe. */
export const EngineTools = z.object({ ffmpeg: z.string().nullable(), yt_dlp: z.string().nullable() });
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
export type FinalJobEvent = Extract<JobEvent, { type: "completed" | "failed" }>;
