/**
 * The bucket's objects the service writes besides the audio: the manifest (`audio/{id}.json`,
 * its presence meaning the clip is complete), its chunk list and source metadata, and the
 * console's waveform peaks.
 */
import { z } from "zod";

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
