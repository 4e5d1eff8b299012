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
 */
import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable, Transform, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ClipAudioError } from "../../shared/errors.ts";
import type { JobEvent, JobResult, JobStage } from "../../shared/job.ts";
import { CONTENT_TYPES, chunkObjectMetadata, keys, wavObjectMetadata } from "../../shared/keys.ts";
import { type ChunkEntry, type ClipMetadata, Manifest, parseManifest } from "../../shared/schemas.ts";
import { planChunks } from "./chunking.ts";
import type { ContainerConfig } from "./config.ts";
import { type DiskNeed, estimateDownloadBytes, reserveDisk } from "./disk.ts";
import { extractors } from "./extractor.ts";
import { classifyFfmpeg, detectSilences, followProgress, startExtract } from "./ffmpeg.ts";
import { computePeaks } from "./peaks.ts";
import type { Sink } from "./sinks/sink.ts";
import { resolveSource, type Source } from "./source.ts";
import { subprocessError } from "./subprocess.ts";
import { toolVersions } from "./tools.ts";
import { classifyHlsFfmpeg, directFormat, fetchMedia, hlsFormat, startHls, transferError } from "./transfer.ts";
import { readWavInfo, type WavInfo, wavHeader } from "./wav.ts";
import { classifyYtDlp, fetchSourceInfo, type SourceInfo, saveInfo, startDownload } from "./ytdlp.ts";

export const ENGINE_VERSION = "clip-audio-engine/0.1.0";
/** Progress events at most this often: enough for a bar, few enough for the Worker's DO. */
const PROGRESS_INTERVAL_MS = 500;
/** Uploads of one clip in flight at once (video, metadata, WAV, chunks). */
const UPLOADS_IN_FLIGHT = 4;

export interface ProcessOptions {
  config: ContainerConfig;
  sink: Sink;
  force?: boolean;
  /** Overrides STORE_VIDEO for this clip. */
  storeVideo?: boolean;
  signal?: AbortSignal;
  onEvent?: (event: JobEvent) => void;
}

interface Context {
  source: Source;
  options: ProcessOptions;
  workDir: string;
  emit: (event: JobEvent) => void;
  progress: (stage: JobStage, percent: number | null, bytes?: number | null, total?: number | null) => void;
}

function throttledProgress(emit: (event: JobEvent) => void): Context["progress"] {
  let last = 0;
  return (stage, percent, bytes = null, total = null) => {
    const now = Date.now();
    if (now - last < PROGRESS_INTERVAL_MS && percent !== 100) return;
    last = now;
    const clamped = percent === null ? null : Math.max(0, Math.min(100, Math.round(percent * 10) / 10));
    emit({ type: "progress", stage, percent: clamped, bytes, total_bytes: total });
  };
}

function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ClipAudioError("cancelled", "The job was cancelled");
}

export async function processClip(input: string, options: ProcessOptions): Promise<JobResult> {
  const { config } = options;
  const source = resolveSource(input, {
    clipTemplate: config.CLIP_SOURCE_URL_TEMPLATE,
    allowedHosts: config.SOURCE_HOSTS,
    demoSourceUrl: config.DEMO_SOURCE_URL,
    allowVods: config.ALLOW_VODS,
  });
  const emit = options.onEvent ?? (() => {});
  if (!options.force) {
    const existing = await readManifest(options.sink, source.id);
    if (existing) return skippedResult(existing, config);
  }
  const workDir = join(config.WORK_DIR, `${source.id}-${randomUUID().slice(0, 8)}`);
  await mkdir(workDir, { recursive: true });
  try {
    const context: Context = { source, options, workDir, emit, progress: throttledProgress(emit) };
    return await run(context);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function readManifest(sink: Sink, id: string): Promise<Manifest | null> {
  return parseManifest(await sink.readText(keys.manifest(id)));
}

function skippedResult(manifest: Manifest, config: ContainerConfig): JobResult {
  return {
    clip_id: manifest.clip_id,
    skipped: true,
    // Manifests from before the caller's record was left alone list it; it is not ours.
    files_uploaded: manifest.files.filter((key) => key !== keys.callerRecord(manifest.clip_id)),
    duration_s: manifest.duration_s,
    needs_chunking: manifest.duration_s > config.MAX_CLIP_DURATION,
    manifest,
  };
}

async function run(context: Context): Promise<JobResult> {
  const { source, options, emit } = context;
  const { config, signal } = options;
  // The manifest records the tool versions: ask for them now, while yt-dlp works, instead of
  // after the uploads (two process starts, ~0.2 s, off the critical path).
  void toolVersions();
  emit({ type: "state", stage: "downloading" });
  const storeVideo = storesVideo(source, options.storeVideo ?? config.STORE_VIDEO);
  // The extraction selects the format too: the rendition with video when it is kept, else the smallest.
  const limits = { timeoutMs: config.METADATA_TIMEOUT_SECONDS * 1000, signal };
  const info = await fetchSourceInfo(source, limits, !storeVideo, extractors(config.JOB_CONCURRENCY));
  rejectTooLong(source, info, config);
  checkCancelled(signal);

  const release = await reserveDisk(config.WORK_DIR, diskNeed(source, info, storeVideo, config));
  try {
    return await produce(context, info, storeVideo);
  } finally {
    release();
  }
}

/**
 * A VOD's video is never stored: hours of it can outgrow the engine's disk, and what yt-dlp
 * streams for a VOD is MPEG-TS, which would not be the MP4 its key promises. Clips keep it.
 */
export function storesVideo(source: Pick<Source, "kind">, requested: boolean): boolean {
  return source.kind !== "vod" && requested;
}

function diskNeed(source: Source, info: SourceInfo, storeVideo: boolean, config: ContainerConfig): DiskNeed {
  const length = source.range ? source.range.endSeconds - source.range.startSeconds : info.duration;
  return {
    downloadBytes: estimateDownloadBytes(info.json, length, !storeVideo),
    wavBytes: length === null ? null : length * config.AUDIO_SAMPLE_RATE * config.AUDIO_CHANNELS * 2,
  };
}

/** Download, decode, cut, upload and write the manifest: everything after the checks. */
async function produce(context: Context, info: SourceInfo, storeVideo: boolean): Promise<JobResult> {
  const { source, options, emit } = context;
  const { config, signal } = options;
  const media = await downloadAndExtract(context, info, !storeVideo);
  checkCancelled(signal);

  emit({ type: "state", stage: "extracting" });
  const wav = await readWavInfo(media.wavPath).catch((error: unknown) => {
    throw new ClipAudioError("extract_failed", "ffmpeg produced no readable WAV", { cause: error });
  });
  if (wav.dataBytes === 0) throw new ClipAudioError("extract_failed", "The source's audio stream is empty");
  const duration = wav.dataBytes / wav.blockAlign / wav.sampleRate;
  // Sources that do not state their length up front are held to the same limit afterwards.
  rejectTooLong(context.source, { ...info, duration }, config);
  const chunks = duration > config.MAX_CLIP_DURATION ? await cutPlan(context, media.wavPath, wav) : [];
  const sha256 = await hashFile(media.wavPath);
  checkCancelled(signal);

  // A forced re-run withdraws the old manifest only now, with the new artifacts ready: from here
  // until the new manifest is written nothing claims the clip is complete, and a re-run that
  // failed earlier (download, decoding: the long part) left the finished clip as it was.
  if (options.force) await options.sink.delete(keys.manifest(source.id));
  emit({ type: "state", stage: "uploading" });
  const uploaded = await uploadArtifacts(context, { media, wav, duration, chunks, storeVideo });
  const wavBytes = (await stat(media.wavPath)).size;
  const manifest = await writeManifest(context, {
    wav,
    wavBytes,
    duration,
    sha256,
    storeVideo,
    uploaded,
    sourceMetadata: info.metadata,
  });
  context.progress("uploading", 100);
  return {
    clip_id: source.id,
    skipped: false,
    files_uploaded: manifest.files,
    duration_s: manifest.duration_s,
    needs_chunking: chunks.length > 0,
    manifest,
  };
}

function rejectTooLong(source: Source, info: SourceInfo, config: ContainerConfig): void {
  const length = source.range ? source.range.endSeconds - source.range.startSeconds : info.duration;
  if (length !== null && length > config.MAX_SOURCE_DURATION) {
    throw new ClipAudioError(
      "too_long",
      `The source is ${Math.round(length)} s long; the limit is ${config.MAX_SOURCE_DURATION} s (MAX_SOURCE_DURATION)`,
    );
  }
}

interface Media {
  wavPath: string;
  videoPath: string;
  downloadedBytes: number;
}

/** Counts bytes as they pass and reports download progress. */
function byteCounter(onBytes: (total: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      onBytes(total);
      done(null, chunk);
    },
  });
}

/**
 * The media go to ffmpeg and to a file at once: the audio is decoded while the bytes arrive, and
 * the file is the stored video, or the fallback input when the format cannot be decoded from a
 * pipe (an MP4 whose index comes last). Either way, one download: by Node itself for a
 * progressive HTTP(S) format, by ffmpeg for an HLS stream (transfer.ts), else by yt-dlp to its
 * stdout (a VOD's time range, anything else).
 */
async function downloadAndExtract(context: Context, info: SourceInfo, audioOnly: boolean): Promise<Media> {
  const { workDir, options, progress } = context;
  const { config, signal } = options;
  const media: Media = {
    wavPath: join(workDir, "audio.wav"),
    videoPath: join(workDir, "source.media"),
    downloadedBytes: 0,
  };
  const format = { sampleRate: config.AUDIO_SAMPLE_RATE, channels: config.AUDIO_CHANNELS };
  const downloadLimits = { timeoutMs: config.DOWNLOAD_TIMEOUT_SECONDS * 1000, signal };
  const extractLimits = { timeoutMs: config.EXTRACT_TIMEOUT_SECONDS * 1000, signal };
  const duration = info.duration;

  const ffmpeg = startExtract("pipe:0", media.wavPath, format, extractLimits);
  followProgress(ffmpeg.stdout, (seconds) => {
    if (duration) progress("downloading", (100 * seconds) / duration, media.downloadedBytes);
  });
  const counter = byteCounter((total) => {
    media.downloadedBytes = total;
    if (!duration) progress("downloading", null, total);
  });
  const ffmpegInput = ffmpeg.stdin as Writable;
  // ffmpeg may stop reading early (no audio stream, unreadable from a pipe): the file still
  // gets every byte, so stop feeding ffmpeg and keep downloading.
  const stopFeeding = () => counter.unpipe(ffmpegInput);
  ffmpegInput.on("error", stopFeeding);
  ffmpegInput.on("close", stopFeeding);
  counter.pipe(ffmpegInput);

  const transfer = await startTransfer(context, info, audioOnly, downloadLimits).catch((error: unknown) => {
    ffmpeg.kill();
    throw error;
  });
  const saved = pipeline(transfer.body, counter, createWriteStream(media.videoPath));
  // A transfer that breaks off destroys the stream instead of ending it: ffmpeg would wait for
  // the rest of its input until its own timeout.
  saved.catch(() => ffmpeg.kill());
  const [downloaded, fromPipe] = await Promise.allSettled([Promise.all([transfer.done, saved]), ffmpeg]);
  if (downloaded.status === "rejected") {
    ffmpeg.kill();
    throw transfer.error(downloaded.reason);
  }
  if (media.downloadedBytes === 0) throw new ClipAudioError("download_failed", "The source sent no media bytes");
  if (fromPipe.status === "rejected") {
    const error = subprocessError(fromPipe.reason, "Extracting audio with ffmpeg", "extract_failed", classifyFfmpeg);
    if (error.code === "cancelled" || error.code === "timeout") throw error;
    await extractFromFile(media, format, extractLimits);
  } else if (!(await hasSamples(media.wavPath))) {
    // An MP4 whose index (moov) comes after a large mdat cannot be decoded from a pipe, and
    // ffmpeg says so only on stderr: it exits 0 with an empty WAV. Decode the saved file.
    await extractFromFile(media, format, extractLimits);
  }
  return media;
}

interface Transfer {
  body: Readable;
  /** Settles when the sender is done (the yt-dlp process exited; at once for Node's own fetch). */
  done: Promise<unknown>;
  error: (reason: unknown) => ClipAudioError;
}

async function startTransfer(
  context: Context,
  info: SourceInfo,
  audioOnly: boolean,
  limits: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<Transfer> {
  const direct = directFormat(info, context.source);
  if (direct) {
    return { body: await fetchMedia(direct, limits), done: Promise.resolve(), error: (e) => transferError(e, limits) };
  }
  const hls = hlsFormat(info, context.source);
  if (hls) {
    const ffmpeg = startHls(hls, limits);
    return {
      body: ffmpeg.stdout as unknown as Readable,
      done: ffmpeg,
      error: (e) =>
        subprocessError(
          e,
          "Downloading the HLS stream with ffmpeg",
          "download_failed",
          classifyHlsFfmpeg,
          limits.timeoutMs,
        ),
    };
  }
  const infoPath = join(context.workDir, "info.json");
  await saveInfo(infoPath, info);
  const download = startDownload(infoPath, context.source, audioOnly, limits);
  return {
    body: download.stdout as unknown as Readable,
    done: download,
    error: (e) => subprocessError(e, "Downloading with yt-dlp", "download_failed", classifyYtDlp, limits.timeoutMs),
  };
}

async function hasSamples(wavPath: string): Promise<boolean> {
  const wav = await readWavInfo(wavPath).catch(() => null);
  return wav !== null && wav.dataBytes > 0;
}

async function extractFromFile(
  media: Media,
  format: { sampleRate: number; channels: number },
  limits: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<void> {
  try {
    await startExtract(media.videoPath, media.wavPath, format, limits);
  } catch (error) {
    throw subprocessError(error, "Extracting audio with ffmpeg", "extract_failed", classifyFfmpeg, limits.timeoutMs);
  }
}

async function cutPlan(context: Context, wavPath: string, wav: WavInfo) {
  const { config, signal } = context.options;
  const silences = await detectSilences(wavPath, { timeoutMs: config.EXTRACT_TIMEOUT_SECONDS * 1000, signal });
  return planChunks({
    totalSamples: wav.dataBytes / wav.blockAlign,
    sampleRate: wav.sampleRate,
    targetSeconds: config.CHUNK_SECONDS,
    overlapSeconds: config.CHUNK_OVERLAP_SECONDS,
    silences,
  });
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}

/** A WAV file of samples [startSample, endSample) of `path`, streamed from disk. */
function wavSlice(
  path: string,
  wav: WavInfo,
  startSample: number,
  endSample: number,
): { body: Readable; bytes: number } {
  const dataBytes = (endSample - startSample) * wav.blockAlign;
  const header = wavHeader(dataBytes, wav.sampleRate, wav.channels, wav.bitsPerSample);
  const start = wav.dataOffset + startSample * wav.blockAlign;
  async function* bytes() {
    yield header;
    if (dataBytes === 0) return;
    for await (const chunk of createReadStream(path, { start, end: start + dataBytes - 1 })) yield chunk as Buffer;
  }
  return { body: Readable.from(bytes()), bytes: header.length + dataBytes };
}

interface Artifacts {
  media: Media;
  wav: WavInfo;
  duration: number;
  chunks: ReturnType<typeof planChunks>;
  storeVideo: boolean;
}

interface Upload {
  key: string;
  put: () => Promise<void>;
}

/** Runs uploads with at most `limit` in flight; the first failure stops the rest. */
async function inParallel(tasks: Upload[], limit: number, onDone: (done: number) => void): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++] as Upload;
      await task.put();
      onDone(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

async function uploadArtifacts(
  context: Context,
  artifacts: Artifacts,
): Promise<{ keys: string[]; chunks: ChunkEntry[] }> {
  const { source, options } = context;
  const { sink } = options;
  const { media, wav, duration } = artifacts;
  // The original's WAV metadata, also on the video as it did.
  const metadata = wavObjectMetadata({
    clipId: source.id,
    sourceKind: source.kind,
    processedAt: new Date(),
    sampleRate: wav.sampleRate,
    channels: wav.channels,
    durationSeconds: duration,
  });
  const uploads: Upload[] = [];
  if (artifacts.storeVideo) {
    const size = (await stat(media.videoPath)).size;
    uploads.push({
      key: keys.video(source.id),
      put: () =>
        sink.put(keys.video(source.id), createReadStream(media.videoPath), {
          contentType: CONTENT_TYPES.video,
          metadata,
          contentLength: size,
        }),
    });
  }
  const wavSize = (await stat(media.wavPath)).size;
  uploads.push({
    key: keys.wav(source.id),
    put: () =>
      sink.put(keys.wav(source.id), createReadStream(media.wavPath), {
        contentType: CONTENT_TYPES.wav,
        metadata,
        contentLength: wavSize,
      }),
  });
  // The console's waveform; like every artifact it is uploaded before the manifest and listed in it.
  uploads.push({
    key: keys.peaks(source.id),
    put: async () => {
      const peaks = await computePeaks(media.wavPath, wav);
      await sink.put(keys.peaks(source.id), JSON.stringify(peaks), { contentType: CONTENT_TYPES.json });
    },
  });
  const chunks: ChunkEntry[] = artifacts.chunks.map((chunk) => ({
    key: keys.chunk(source.id, chunk.index),
    index: chunk.index,
    start_s: chunk.startSample / wav.sampleRate,
    duration_s: (chunk.endSample - chunk.startSample) / wav.sampleRate,
  }));
  for (const chunk of artifacts.chunks) {
    const key = keys.chunk(source.id, chunk.index);
    uploads.push({
      key,
      put: () => {
        const slice = wavSlice(media.wavPath, wav, chunk.startSample, chunk.endSample);
        const chunkMetadata = chunkObjectMetadata(metadata, {
          index: chunk.index,
          total: artifacts.chunks.length,
          startSeconds: chunk.startSample / wav.sampleRate,
          durationSeconds: (chunk.endSample - chunk.startSample) / wav.sampleRate,
        });
        return sink.put(key, slice.body, {
          contentType: CONTENT_TYPES.wav,
          metadata: chunkMetadata,
          contentLength: slice.bytes,
        });
      },
    });
  }
  await inParallel(uploads, UPLOADS_IN_FLIGHT, (done) => {
    checkCancelled(options.signal);
    context.progress("uploading", (100 * done) / (uploads.length + 1));
  });
  return { keys: uploads.map((u) => u.key), chunks };
}

async function writeManifest(
  context: Context,
  input: {
    wav: WavInfo;
    wavBytes: number;
    duration: number;
    sha256: string;
    storeVideo: boolean;
    uploaded: { keys: string[]; chunks: ChunkEntry[] };
    sourceMetadata: ClipMetadata;
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
    tools: { ffmpeg: tools.ffmpeg, yt_dlp: tools.ytDlp, engine: ENGINE_VERSION },
    source_metadata: input.sourceMetadata,
  });
  checkCancelled(options.signal);
  await options.sink.put(manifestKey, `${JSON.stringify(manifest, null, 2)}\n`, { contentType: CONTENT_TYPES.json });
  return manifest;
}
