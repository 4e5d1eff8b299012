/**
 * GET /health: the Worker's answer, the engine's own `/health` it reads, and whether yt-dlp can
 * still read Twitch (with the extractor channel's state).
 */
import { z } from "zod";
import { ExtractorBuildStatus, ExtractorChange, ExtractorTrial } from "../extractor-channel-schemas.ts";

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
