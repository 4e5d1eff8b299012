/**
 * One clip, end to end: resolve → metadata → download (streamed into ffmpeg and onto disk at
 * once) → WAV → chunks → uploads → manifest, last. Temp files go on every path. Each object
 * appears whole or not at all (one PUT, or a completed multipart upload), so a HEAD of the WAV
 * is as good a signal as the manifest. `clips/{id}.json` is the caller's and never touched.
 *
 *   processClip(input, { config, sink, force?, storeVideo?, signal?, onEvent? }): Promise<JobResult>
 *
 * `input` is a clip id, a Twitch clip or VOD URL (VOD with an optional `#start-end`), or a URL
 * of a host in SOURCE_HOSTS. Failures throw `ClipAudioError` with a stable code.
 * The steps live in download.ts, upload.ts and manifest.ts; this file puts them in order.
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { readManifest } from "../../shared/bucket.ts";
import { ClipAudioError } from "../../shared/errors.ts";
import type { JobResult } from "../../shared/job.ts";
import type { Manifest } from "../../shared/schemas.ts";
import { planChunks } from "./chunking.ts";
import type { EngineConfig } from "./config.ts";
import { type Context, checkCancelled, type ProcessOptions, throttledProgress } from "./context.ts";
import { type DiskNeed, estimateDownloadBytes, reserveDisk } from "./disk.ts";
import { downloadAndExtract, type Media } from "./download.ts";
import { forEachPiece } from "./file-pieces.ts";
import {
  manifestResult,
  prepareReplacement,
  removeReplacedChunks,
  withdrawCompletion,
  writeManifest,
} from "./manifest.ts";
import { resolveSource, type Source } from "./source.ts";
import { toolVersions } from "./tools.ts";
import { type Artifacts, type Uploaded, uploadArtifacts } from "./upload.ts";
import { readWavInfo, type WavInfo } from "./wav.ts";
import { fetchSourceInfo, type SourceInfo } from "./ytdlp.ts";
import { extractorsFor } from "./ytdlp-channel/pools.ts";

export type { ProcessOptions } from "./context.ts";
export { ENGINE_VERSION } from "./manifest.ts";

export async function processClip(input: string, options: ProcessOptions): Promise<JobResult> {
  const { config } = options;
  const source = resolveSource(input, {
    clipTemplate: config.CLIP_SOURCE_URL_TEMPLATE,
    allowedHosts: config.SOURCE_HOSTS,
    demoSourceUrl: config.DEMO_SOURCE_URL,
    allowVods: config.ALLOW_VODS,
  });
  const emit = options.onEvent ?? (() => {});
  if (!options.force && !options.knownNew) {
    const existing = await readManifest(options.sink, source.id);
    if (existing) return manifestResult(existing, true);
  }
  const workDir = join(config.WORK_DIR, `${source.id}-${randomUUID().slice(0, 8)}`);
  // A forced re-run looks up what it replaces while yt-dlp works: off the critical path.
  const replacing = options.force ? background(prepareReplacement(options.sink, source.id)) : null;
  try {
    await mkdir(workDir, { recursive: true });
    const context: Context = { source, options, workDir, emit, progress: throttledProgress(emit) };
    return await run(context, replacing);
  } finally {
    // Nothing of the job still changes the bucket once it has ended, even when it failed first.
    await replacing?.catch(() => undefined);
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The checks before any media byte moves: metadata, length, disk space. */
async function run(context: Context, replacing: Promise<Manifest | null> | null): Promise<JobResult> {
  const { source, options, emit } = context;
  const { config, signal } = options;
  // The manifest records the tool versions: ask for them now, while yt-dlp works, instead of
  // after the uploads (two process starts, ~0.2 s, off the critical path).
  void toolVersions();
  emit({ type: "state", stage: "downloading" });
  const storeVideo = storesVideo(source, options.storeVideo ?? config.STORE_VIDEO);
  // The extraction selects the format too: the rendition with video when it is kept, else the smallest.
  const limits = { timeoutMs: config.METADATA_TIMEOUT_SECONDS * 1000, signal };
  const info = await fetchSourceInfo(
    source,
    limits,
    !storeVideo,
    extractorsFor(config.JOB_CONCURRENCY, options.build?.path),
    options.build?.build.tag,
  );
  rejectTooLong(source, info, config);
  checkCancelled(signal);

  const release = await reserveDisk(config.WORK_DIR, diskNeed(source, info, storeVideo, config));
  try {
    return await produce(context, info, storeVideo, replacing);
  } finally {
    release();
  }
}

/** Download, decode, cut, upload and write the manifest: everything after the checks. */
async function produce(
  context: Context,
  info: SourceInfo,
  storeVideo: boolean,
  replacing: Promise<Manifest | null> | null,
): Promise<JobResult> {
  const { options, emit } = context;
  const { signal } = options;
  const media = await downloadAndExtract(context, info, !storeVideo);
  checkCancelled(signal);

  emit({ type: "state", stage: "extracting" });
  const { wav, duration, chunks } = await decodedAudio(context, media, info);
  checkCancelled(signal);

  // The hash is for the manifest only: it reads the WAV while the uploads run, not before them.
  const hashing = hashFile(media.wavPath);
  const uploading = replaceArtifacts(context, replacing, { media, wav, duration, chunks, storeVideo });
  const [hashed, replaced] = await Promise.allSettled([hashing, uploading]);
  if (replaced.status === "rejected") throw replaced.reason;
  if (hashed.status === "rejected") throw hashed.reason;
  const sha256 = hashed.value;
  const { previous, uploaded } = replaced.value;
  const wavBytes = (await stat(media.wavPath)).size;
  const sourceMetadata = info.metadata;
  const manifest = await writeManifest(context, {
    wav,
    wavBytes,
    duration,
    sha256,
    storeVideo,
    uploaded,
    sourceMetadata,
    muted: media.muted,
  });
  await removeReplacedChunks(options.sink, previous, manifest);
  context.progress("uploading", 100);
  return manifestResult(manifest, false);
}

/**
 * A forced re-run withdraws the finished clip it replaces (prepareReplacement found it) only
 * now, with the new artifacts ready: from here until the new ones are written nothing claims the
 * clip is ready, and a re-run that failed earlier (download, decoding: the long part) left the
 * finished clip as it was. Then the uploads (upload.ts).
 */
async function replaceArtifacts(
  context: Context,
  replacing: Promise<Manifest | null> | null,
  artifacts: Artifacts,
): Promise<{ previous: Manifest | null; uploaded: Uploaded }> {
  const { sink } = context.options;
  const previous = await replacing;
  if (previous) await withdrawCompletion(sink, context.source.id);
  context.emit({ type: "state", stage: "uploading" });
  return { previous, uploaded: await uploadArtifacts(context, artifacts) };
}

/**
 * A step started ahead of the one that waits for it: its failure is that step's, so it must not
 * count as unhandled while nothing waits yet (the job may also end first, e.g. a failed download).
 */
function background<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * A VOD's video is never stored: hours of it can outgrow the engine's disk, and what yt-dlp
 * streams for a VOD is MPEG-TS, which would not be the MP4 its key promises. Clips keep it.
 */
export function storesVideo(source: Pick<Source, "kind">, requested: boolean): boolean {
  return source.kind !== "vod" && requested;
}

function diskNeed(source: Source, info: SourceInfo, storeVideo: boolean, config: EngineConfig): DiskNeed {
  const length = source.range ? source.range.endSeconds - source.range.startSeconds : info.duration;
  return {
    downloadBytes: estimateDownloadBytes(info.json, length, !storeVideo),
    wavBytes: length === null ? null : length * config.AUDIO_SAMPLE_RATE * config.AUDIO_CHANNELS * 2,
  };
}

function rejectTooLong(source: Source, info: SourceInfo, config: EngineConfig): void {
  const length = source.range ? source.range.endSeconds - source.range.startSeconds : info.duration;
  if (length !== null && length > config.MAX_SOURCE_DURATION) {
    throw new ClipAudioError(
      "too_long",
      `The source is ${Math.round(length)} s long; the limit is ${config.MAX_SOURCE_DURATION} s (MAX_SOURCE_DURATION)`,
    );
  }
}

/** The decoded WAV's format and length, and its chunk plan when it is longer than one chunk. */
async function decodedAudio(context: Context, media: Media, info: SourceInfo) {
  const { config } = context.options;
  const wav = await readWavInfo(media.wavPath).catch((error: unknown) => {
    throw new ClipAudioError("extract_failed", "ffmpeg produced no readable WAV", { cause: error });
  });
  if (wav.dataBytes === 0) throw new ClipAudioError("extract_failed", "The source's audio stream is empty");
  const duration = wav.dataBytes / wav.blockAlign / wav.sampleRate;
  // Sources that do not state their length up front are held to the same limit afterwards.
  rejectTooLong(context.source, { ...info, duration }, config);
  const chunks = duration > config.MAX_CLIP_DURATION ? cutPlan(context, media, wav) : [];
  return { wav, duration, chunks };
}

/** Cuts in the silences the decode found (download.ts). */
function cutPlan(context: Context, media: Media, wav: WavInfo) {
  const { config } = context.options;
  return planChunks({
    totalSamples: wav.dataBytes / wav.blockAlign,
    sampleRate: wav.sampleRate,
    targetSeconds: config.CHUNK_SECONDS,
    overlapSeconds: config.CHUNK_OVERLAP_SECONDS,
    silences: media.silences,
  });
}

/** Through one reused buffer: a read stream's 64 KB Buffers cost up to 20 MB of RSS here (file-pieces.ts). */
async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  await forEachPiece(path, (piece) => hash.update(piece));
  return hash.digest("hex");
}
