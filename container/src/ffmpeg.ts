/**
 * ffmpeg: decode the source's first audio stream to PCM s16le WAV at the configured rate and
 * channels, and find silences for chunking.
 */
import type { Readable } from "node:stream";
import { execa } from "execa";
import { lines } from "../../shared/lines.ts";
import { type Classifier, processOptions, type RunLimits, subprocessError } from "./subprocess.ts";

export const FFMPEG = "ffmpeg";

/** Quieter than this for at least `SILENCE_MIN_SECONDS` counts as a pause between words. */
const SILENCE_NOISE_DB = -35;
const SILENCE_MIN_SECONDS = 0.3;

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

/** Arguments that decode `input` (a path, or pipe:0) to a WAV file with a minimal header. */
function extractArgs(input: string, output: string, format: AudioFormat): string[] {
  return [
    "-hide_banner",
    "-nostats",
    "-v",
    "error",
    "-i",
    input,
    "-map",
    "0:a:0",
    "-vn",
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

/** Starts ffmpeg reading `input` (a file path, or "pipe:0" to read its stdin). */
export function startExtract(input: string, output: string, format: AudioFormat, limits: RunLimits) {
  return execa(FFMPEG, extractArgs(input, output, format), {
    ...processOptions(limits),
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

export function parseSilences(stderr: string): Silence[] {
  const silences: Silence[] = [];
  let start: number | null = null;
  for (const line of stderr.split("\n")) {
    const opened = /silence_start: (-?[\d.]+)/.exec(line);
    if (opened) start = Math.max(0, Number(opened[1]));
    const closed = /silence_end: ([\d.]+)/.exec(line);
    if (closed && start !== null) {
      silences.push({ start, end: Number(closed[1]) });
      start = null;
    }
  }
  return silences;
}

/** The silences of a WAV file, in seconds. */
export async function detectSilences(path: string, limits: RunLimits): Promise<Silence[]> {
  const args = [
    "-hide_banner",
    "-nostats",
    "-i",
    path,
    "-af",
    `silencedetect=noise=${SILENCE_NOISE_DB}dB:d=${SILENCE_MIN_SECONDS}`,
    "-f",
    "null",
    "-",
  ];
  try {
    // silencedetect reports on stderr.
    const result = await execa(FFMPEG, args, processOptions(limits));
    return parseSilences(String(result.stderr));
  } catch (error) {
    throw subprocessError(error, "Finding silences with ffmpeg", "extract_failed", classifyFfmpeg, limits.timeoutMs);
  }
}
