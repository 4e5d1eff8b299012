/**
 * ffmpeg: decode the source's first audio stream to PCM s16le WAV at the configured rate and
 * channels, and find its silences for chunking while it decodes.
 */
import { readFile } from "node:fs/promises";
import type { Readable } from "node:stream";
import { execa } from "execa";
import { lines } from "../../shared/lines.ts";
import { type Classifier, processOptions, type RunLimits, toolEnv } from "./subprocess.ts";

export const FFMPEG = "ffmpeg";

/** Quieter than -35 dB for at least 0.3 s counts as a pause between words. */
export const SILENCE_FILTER = "silencedetect=noise=-35dB:d=0.3";

export const classifyFfmpeg: Classifier = (stderr) => {
  if (/matches no streams|does not contain any stream|Output file #0 does not contain/i.test(stderr)) {
    return { code: "extract_failed", message: "The source has no audio stream" };
  }
  if (
    /Invalid data found|moov atom not found|could not find codec parameters|End of file|Invalid argument/i.test(stderr)
  ) {
    return { code: "extract_failed", message: "The source is corrupt or not a media file ffmpeg can read" };
  }
  return null;
};

export interface AudioFormat {
  sampleRate: number;
  channels: number;
}

/**
 * How a stream of segments Node fetched (hls/segments.ts) is decoded when some were muted: the
 * MPEG-TS timestamps are kept, and the decoder fills a gap in them (a muted segment) with
 * silence of its length; muted segments before the first one served are a delay at the start.
 */
export interface GapFill {
  leadingSeconds: number;
}

/**
 * The decode's filters: the output format first (what -ac, -ar and pcm_s16le would convert to
 * anyway, by the same automatic resampler, so the WAV is bit for bit the same), timestamps
 * counted in samples (as a WAV's are, whatever the source's said), then silencedetect. It sees
 * exactly the samples written, so it finds what a second pass over the WAV would
 * (container/test/extract.test.ts), without that pass: 0.3-0.4 s after the download of a
 * 30-minute source, where during the download it is hidden behind the transfer.
 * With `gaps`: `aresample=async=1` only fills or trims (never stretches), and only where the
 * timestamps jump by more than 0.1 s, so a stream without gaps decodes to the same samples
 * (container/test/hls-segments.test.ts compares the hashes).
 */
function decodeFilters(format: AudioFormat, gaps: GapFill | null): string {
  const layout = format.channels === 1 ? "mono" : "stereo";
  const leading = Math.round((gaps?.leadingSeconds ?? 0) * format.sampleRate);
  return [
    `aformat=sample_fmts=s16:sample_rates=${format.sampleRate}:channel_layouts=${layout}`,
    ...(gaps ? [`aresample=${format.sampleRate}:async=1`] : []),
    ...(leading > 0 ? [`adelay=delays=${leading}S:all=1`] : []),
    `asettb=1/${format.sampleRate}`,
    "asetpts=N",
    SILENCE_FILTER,
  ].join(",");
}

/** Arguments that decode `input` (a path, or pipe:0) to a WAV file with a minimal header. */
function extractArgs(input: string, output: string, format: AudioFormat, gaps: GapFill | null): string[] {
  return [
    "-hide_banner",
    "-nostats",
    "-v",
    "error",
    // ffmpeg takes a jump of more than 10 s in MPEG-TS timestamps for a discontinuity and closes
    // it; a run of muted segments is such a jump, and must stay one for aresample to fill.
    ...(gaps ? ["-dts_delta_threshold", "1000000"] : []),
    "-i",
    input,
    "-map",
    "0:a:0",
    "-vn",
    "-af",
    decodeFilters(format, gaps),
    "-ac",
    String(format.channels),
    "-ar",
    String(format.sampleRate),
    "-c:a",
    "pcm_s16le",
    "-map_metadata",
    "-1",
    "-fflags",
    "+bitexact",
    "-flags:a",
    "+bitexact",
    "-progress",
    "pipe:1",
    "-y",
    "-f",
    "wav",
    output,
  ];
}

/**
 * silencedetect reports at info level; the decode's stderr stays at errors only, the lines
 * classifyFfmpeg reads. ffmpeg writes its info-level log to the file FFREPORT names instead: a
 * value of `key=value` pairs split on `:` with backslash escapes, where `%` in the file name
 * starts an expansion.
 */
function reportEnv(logPath: string): Record<string, string> {
  const file = logPath.replaceAll("%", "%%").replace(/[\\':]/g, "\\$&");
  return { ...toolEnv(), FFREPORT: `file=${file}:level=32` };
}

/**
 * Starts ffmpeg reading `input` (a file path, or "pipe:0" to read its stdin); its log, with the
 * silences, goes to `logPath` (readSilences). `gaps`: for segments Node fetched (GapFill).
 */
export function startExtract(
  input: string,
  output: string,
  logPath: string,
  format: AudioFormat,
  limits: RunLimits,
  gaps: GapFill | null = null,
) {
  return execa(FFMPEG, extractArgs(input, output, format, gaps), {
    ...processOptions(limits),
    env: reportEnv(logPath),
    stdin: input === "pipe:0" ? "pipe" : "ignore",
    stdout: "pipe",
    buffer: { stdout: false },
  });
}

/** Calls `onSeconds` with the decoded position as ffmpeg reports it on its progress stream. */
export function followProgress(stdout: Readable | null, onSeconds: (seconds: number) => void): void {
  if (!stdout) return;
  (async () => {
    for await (const line of lines(stdout)) {
      const match = /^out_time_us=(\d+)/.exec(line);
      if (match) onSeconds(Number(match[1]) / 1e6);
    }
  })()
    // ffmpeg's failure is reported by its exit; a broken progress pipe only ends the progress.
    .catch(() => undefined);
}

export interface Silence {
  start: number;
  end: number;
}

/**
 * The silences in silencedetect's lines (an ffmpeg log or stderr). Only the filter's own lines
 * count: the log also quotes the source's metadata, which could say anything.
 */
export function parseSilences(log: string): Silence[] {
  const silences: Silence[] = [];
  let start: number | null = null;
  for (const line of log.split("\n")) {
    const opened = /^\[silencedetect @ [^\]]*\] silence_start: (-?[\d.]+)/.exec(line);
    if (opened) start = Math.max(0, Number(opened[1]));
    const closed = /^\[silencedetect @ [^\]]*\] silence_end: ([\d.]+)/.exec(line);
    if (closed && start !== null) {
      silences.push({ start, end: Number(closed[1]) });
      start = null;
    }
  }
  return silences;
}

/** The silences a finished decode (startExtract) found, in seconds. */
export async function readSilences(logPath: string): Promise<Silence[]> {
  return parseSilences(await readFile(logPath, "utf8"));
}
