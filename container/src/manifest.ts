/**
 * The clip's manifest: read (a finished clip is skipped), built from what was uploaded, and
 * written last, so its presence means every object it lists is in place.
 */
import { readManifest } from "../../shared/bucket.ts";
import type { JobResult } from "../../shared/job.ts";
import { CONTENT_TYPES, keys } from "../../shared/keys.ts";
import { type ClipMetadata, Manifest, type MutedRange } from "../../shared/schemas.ts";
import { VERSION } from "../../shared/version.ts";
import { type Context, checkCancelled } from "./context.ts";
import type { Sink } from "./sinks/sink.ts";
import { toolVersions } from "./tools.ts";
import type { Uploaded } from "./upload.ts";
import type { WavInfo } from "./wav.ts";

export const ENGINE_VERSION = `clip-audio-engine/${VERSION}`;

/**
 * A job's result, read from the clip's manifest: the one place its fields are derived. A clip
 * needs chunking when its manifest lists chunks (what was cut, not what today's settings say).
 * `skipped`: the clip was already complete and nothing was done.
 */
export function manifestResult(manifest: Manifest, skipped: boolean): JobResult {
  return {
    clip_id: manifest.clip_id,
    skipped,
    files_uploaded: manifest.files,
    duration_s: manifest.duration_s,
    needs_chunking: manifest.chunks.length > 0,
    manifest,
  };
}

/**
 * A forced re-run withdraws the old manifest, then the old WAV, before it uploads: while the
 * clip's objects are replaced, nothing says it is complete (the manifest) or ready (the WAV,
 * which callers HEAD). The WAV comes back last of the objects, after the chunks (upload.ts).
 */
export async function withdrawCompletion(sink: Sink, id: string): Promise<void> {
  await sink.delete(keys.manifest(id));
  await sink.delete(keys.wav(id));
}

/**
 * What a forced re-run replaces, looked up while the source is read (pipeline.ts). A finished
 * clip (its manifest) is returned, to be withdrawn only once the new artifacts are ready. Without
 * one there is nothing complete to keep, so what a failed run may have left (a WAV whose manifest
 * never came, an unreadable manifest) is withdrawn now: off the job's tail, where it cost two
 * requests in a row after the last byte (~10-70 ms against s3rver on the bench's 60 s clip).
 */
export async function prepareReplacement(sink: Sink, id: string): Promise<Manifest | null> {
  const previous = await readManifest(sink, id);
  if (!previous) await withdrawCompletion(sink, id);
  return previous;
}

/**
 * Chunks of the replaced run that the new manifest does not list (the re-run cut fewer):
 * removed once the new manifest is in place. Best effort: an object left over is listed by
 * nothing, so a failure here is no reason to fail a clip that is complete.
 */
export async function removeReplacedChunks(sink: Sink, previous: Manifest | null, current: Manifest): Promise<void> {
  if (!previous) return;
  const listed = new Set(current.chunks.map((chunk) => chunk.key));
  const stale = previous.chunks.map((chunk) => chunk.key).filter((key) => !listed.has(key));
  await Promise.allSettled(stale.map((key) => sink.delete(key)));
}

export async function writeManifest(
  context: Context,
  input: {
    wav: WavInfo;
    wavBytes: number;
    duration: number;
    sha256: string;
    storeVideo: boolean;
    uploaded: Uploaded;
    sourceMetadata: ClipMetadata;
    muted: MutedRange[];
  },
): Promise<Manifest> {
  const { source, options } = context;
  const tools = await toolVersions();
  const manifestKey = keys.manifest(source.id);
  const manifest = Manifest.parse({
    clip_id: source.id,
    source: { kind: source.kind, url: source.url },
    duration_s: Math.round(input.duration * 1e6) / 1e6,
    sample_rate: input.wav.sampleRate,
    channels: input.wav.channels,
    bytes: input.wavBytes,
    sha256: input.sha256,
    chunks: input.uploaded.chunks,
    chunk_overlap_s: input.uploaded.chunks.length > 0 ? options.config.CHUNK_OVERLAP_SECONDS : 0,
    video_key: input.storeVideo ? keys.video(source.id) : null,
    files: [...input.uploaded.keys, manifestKey],
    processed_at: new Date().toISOString(),
    tools: { ffmpeg: tools.ffmpeg, yt_dlp: options.build?.build.tag ?? tools.ytDlp, engine: ENGINE_VERSION },
    source_metadata: input.sourceMetadata,
    ...(input.muted.length > 0 ? { muted: input.muted.map(roundRange) } : {}),
  });
  checkCancelled(options.signal);
  await options.sink.put(manifestKey, `${JSON.stringify(manifest, null, 2)}\n`, { contentType: CONTENT_TYPES.json });
  return manifest;
}

function roundRange(range: MutedRange): MutedRange {
  return { start_s: Math.round(range.start_s * 1e6) / 1e6, end_s: Math.round(range.end_s * 1e6) / 1e6 };
}
