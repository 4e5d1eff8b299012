/**
 * Source → media, in one download: the bytes go to ffmpeg and to a file at once, so the audio is
 * decoded (and its silences found, ffmpeg.ts) while they arrive, and the file is the stored
 * video, or the fallback input when the format cannot be decoded from a pipe (an MP4 whose index
 * comes last). The bytes come from Node itself for a progressive HTTP(S) format and for the
 * segments of an HLS VOD (hls/), from ffmpeg for an HLS playlist Node does not read (transfer.ts),
 * else from yt-dlp's stdout (a VOD's time range, anything else).
 */
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { type Readable, Transform, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setImmediate } from "node:timers/promises";
import { ClipAudioError } from "../../shared/errors.ts";
import type { MutedRange } from "../../shared/schemas.ts";
import type { Context } from "./context.ts";
import { classifyFfmpeg, followProgress, type GapFill, readSilences, type Silence, startExtract } from "./ffmpeg.ts";
import { openHls } from "./hls/open.ts";
import type { SegmentStream } from "./hls/segments.ts";
import { type RunLimits, subprocessError } from "./subprocess.ts";
import { classifyHlsFfmpeg, directFormat, fetchMedia, hlsFormat, startHls, transferError } from "./transfer.ts";
import { appendSilence, readWavInfo } from "./wav.ts";
import { classifyYtDlp, type SourceInfo, saveInfo, startDownload } from "./ytdlp.ts";

export interface Media {
  wavPath: string;
  videoPath: string;
  /** ffmpeg's log of the decode, with silencedetect's lines. */
  logPath: string;
  downloadedBytes: number;
  /** Found while decoding, where the chunks may be cut. */
  silences: Silence[];
  /** Ranges of an HLS stream whose segments were refused (muted), silence in the WAV. */
  muted: MutedRange[];
}

interface AudioFormat {
  sampleRate: number;
  channels: number;
}

/** Downloads the source into `context.workDir` and decodes its audio to a WAV there. */
export async function downloadAndExtract(context: Context, info: SourceInfo, audioOnly: boolean): Promise<Media> {
  const { workDir, options } = context;
  const { config, signal } = options;
  const media: Media = {
    wavPath: join(workDir, "audio.wav"),
    videoPath: join(workDir, "source.media"),
    logPath: join(workDir, "ffmpeg.log"),
    downloadedBytes: 0,
    silences: [],
    muted: [],
  };
  const format = { sampleRate: config.AUDIO_SAMPLE_RATE, channels: config.AUDIO_CHANNELS };
  const downloadLimits = { timeoutMs: config.DOWNLOAD_TIMEOUT_SECONDS * 1000, signal };
  const extractLimits = { timeoutMs: config.EXTRACT_TIMEOUT_SECONDS * 1000, signal };
  const counter = byteCounter((total) => {
    media.downloadedBytes = total;
    if (!info.duration) context.progress("downloading", null, total);
  });
  const decode = (gaps: GapFill | null) => startDecoder(context, info, media, counter, gaps);

  // The request first: the source answers while ffmpeg starts (its spawn blocks the event loop
  // for 5-25 ms here), instead of after it. One turn of the loop lets the request leave first.
  const starting = startTransfer(context, info, audioOnly, downloadLimits);
  starting.catch(() => undefined); // handled where it is awaited, below
  // The decoder starts before the transfer has answered, except for HLS segments Node fetches:
  // their decode must know the muted seconds before the first segment served (openHls waits for it).
  const nodeFetchesSegments = hlsFormat(info, context.source) !== null;
  if (!nodeFetchesSegments) await setImmediate();
  let ffmpeg = nodeFetchesSegments ? null : decode(null);
  const transfer = await starting.catch((error: unknown) => {
    ffmpeg?.kill();
    // Killed (or cancelled with the job): its rejection is not this failure, and left alone it
    // would be an unhandled rejection (seen when a job is cancelled before the source answers).
    ffmpeg?.catch(() => undefined);
    throw error;
  });
  const gaps = transfer.segments ? { leadingSeconds: transfer.segments.leadingSeconds } : null;
  ffmpeg ??= decode(gaps);
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
    await extractFromFile(media, format, extractLimits, gaps);
  } else if (!(await hasSamples(media.wavPath))) {
    // An MP4 whose index (moov) comes after a large mdat cannot be decoded from a pipe, and
    // ffmpeg says so only on stderr: it exits 0 with an empty WAV. Decode the saved file.
    await extractFromFile(media, format, extractLimits, gaps);
  }
  media.silences = await readSilences(media.logPath);
  if (transfer.segments) await addTrailingMuted(media, transfer.segments);
  return media;
}

/** Starts the decoder reading what `counter` passes on, and reports its progress. */
function startDecoder(context: Context, info: SourceInfo, media: Media, counter: Transform, gaps: GapFill | null) {
  const { config, signal } = context.options;
  const format = { sampleRate: config.AUDIO_SAMPLE_RATE, channels: config.AUDIO_CHANNELS };
  const limits = { timeoutMs: config.EXTRACT_TIMEOUT_SECONDS * 1000, signal };
  const ffmpeg = startExtract("pipe:0", media.wavPath, media.logPath, format, limits, gaps);
  const duration = info.duration;
  followProgress(ffmpeg.stdout, (seconds) => {
    if (duration) context.progress("downloading", (100 * seconds) / duration, media.downloadedBytes);
  });
  const ffmpegInput = ffmpeg.stdin as Writable;
  // ffmpeg may stop reading early (no audio stream, unreadable from a pipe): the file still
  // gets every byte, so stop feeding ffmpeg and keep downloading.
  const stopFeeding = () => counter.unpipe(ffmpegInput);
  ffmpegInput.on("error", stopFeeding);
  ffmpegInput.on("close", stopFeeding);
  counter.pipe(ffmpegInput);
  return ffmpeg;
}

/**
 * The muted ranges into the media; muted segments after the last one served have no timestamp
 * after them for the decoder to fill up to: their silence is appended to the WAV here.
 */
async function addTrailingMuted(media: Media, segments: SegmentStream): Promise<void> {
  media.muted = segments.muted;
  const last = segments.muted.at(-1);
  if (!last || last.end_s < segments.totalSeconds - 1e-6) return;
  const wav = await readWavInfo(media.wavPath);
  const decoded = wav.dataBytes / wav.blockAlign / wav.sampleRate;
  const seconds = last.end_s - last.start_s;
  await appendSilence(media.wavPath, seconds);
  const open = media.silences.at(-1);
  if (open && Math.abs(open.end - decoded) < 0.05) open.end = decoded + seconds;
  else media.silences.push({ start: decoded, end: decoded + seconds });
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

interface Transfer {
  body: Readable;
  /** HLS segments Node fetches: the muted ones, known as they come. */
  segments?: SegmentStream;
  /** Settles when the sender is done (the yt-dlp process exited; at once for Node's own fetch). */
  done: Promise<unknown>;
  error: (reason: unknown) => ClipAudioError;
}

async function startTransfer(
  context: Context,
  info: SourceInfo,
  audioOnly: boolean,
  limits: RunLimits,
): Promise<Transfer> {
  const direct = directFormat(info, context.source);
  if (direct) {
    return { body: await fetchMedia(direct, limits), done: Promise.resolve(), error: (e) => transferError(e, limits) };
  }
  const hls = hlsFormat(info, context.source);
  const segments = hls && (await openHls(hls, limits));
  if (segments)
    return { body: segments.body, segments, done: Promise.resolve(), error: (e) => transferError(e, limits) };
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
  const download = startDownload(infoPath, context.source, audioOnly, limits, context.options.build?.path);
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
  format: AudioFormat,
  limits: RunLimits,
  gaps: GapFill | null,
): Promise<void> {
  try {
    await startExtract(media.videoPath, media.wavPath, media.logPath, format, limits, gaps);
  } catch (error) {
    throw subprocessError(error, "Extracting audio with ffmpeg", "extract_failed", classifyFfmpeg, limits.timeoutMs);
  }
}
