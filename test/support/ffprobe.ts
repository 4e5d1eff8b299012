/**
 * WAV checks by an independent reader: ffprobe (FFmpeg's demuxer) finds the format, stream fields
 * and samples. The production parser (container/src/wav.ts) must not judge its own
 * output: a header it writes wrongly and reads back the same wrong way would pass.
 * Synchronous (the tests call it inline). The bytes go through a temporary file: from a pipe,
 * ffprobe cannot tell the duration.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ProbedAudio {
  /** ffprobe's format name: "wav" for a RIFF/WAVE file. */
  formatName: string;
  /** e.g. "pcm_s16le". */
  codec: string;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** The duration ffprobe reads from the header's data size. */
  durationSeconds: number;
}

/** Room for the longest test WAV (minutes of 16 kHz mono) on stdout. */
const MAX_OUTPUT_BYTES = 1024 * 1024 * 1024;

/** Runs `tool` with `args(file)` on `bytes` written to a temporary file; its stdout. */
function run(tool: string, args: (file: string) => string[], bytes: Buffer): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "ffprobe-"));
  try {
    const file = join(dir, "input.wav");
    writeFileSync(file, bytes);
    const result = spawnSync(tool, args(file), { maxBuffer: MAX_OUTPUT_BYTES });
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`${tool} exited ${result.status}: ${result.stderr.toString().trim()}`);
    return result.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface FfprobeOutput {
  streams?: Record<string, string | number>[];
  format?: Record<string, string | number>;
  packets?: { pos: string; size: string }[];
}

function ffprobe(bytes: Buffer, entries: string[]): FfprobeOutput {
  const args = (file: string) => ["-v", "error", "-select_streams", "a:0", ...entries, "-of", "json", file];
  return JSON.parse(run("ffprobe", args, bytes).toString("utf8")) as FfprobeOutput;
}

function described(parsed: FfprobeOutput): ProbedAudio {
  const stream = parsed.streams?.[0];
  if (!stream) throw new Error("ffprobe found no audio stream");
  return {
    formatName: String(parsed.format?.format_name),
    codec: String(stream.codec_name),
    sampleRate: Number(stream.sample_rate),
    channels: Number(stream.channels),
    bitsPerSample: Number(stream.bits_per_sample),
    durationSeconds: Number(stream.duration ?? parsed.format?.duration),
  };
}

/** What ffprobe says the file is (its first audio stream). */
export function probeAudio(bytes: Buffer): ProbedAudio {
  return described(ffprobe(bytes, ["-show_streams", "-show_format"]));
}

/**
 * The file's description and every sample: signed 16-bit, interleaved, at the file's own rate.
 * For 16-bit PCM the samples are the packets ffprobe's demuxer found (one process, so a test
 * reading dozens of chunks stays quick); anything else is decoded by ffmpeg.
 */
export function probeAndDecode(bytes: Buffer): ProbedAudio & { samples: Int16Array } {
  const parsed = ffprobe(bytes, ["-show_streams", "-show_format", "-show_entries", "packet=pos,size"]);
  const probed = described(parsed);
  const raw =
    probed.codec === "pcm_s16le"
      ? Buffer.concat((parsed.packets ?? []).map((p) => bytes.subarray(Number(p.pos), Number(p.pos) + Number(p.size))))
      : run("ffmpeg", (file) => ["-v", "error", "-i", file, "-f", "s16le", "-c:a", "pcm_s16le", "pipe:1"], bytes);
  const samples = new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  return { ...probed, samples };
}

/** What speech recognisers want, as the service promises it: 16 kHz mono 16-bit PCM in a WAV. */
export const SPEECH_WAV = { formatName: "wav", codec: "pcm_s16le", sampleRate: 16_000, channels: 1, bitsPerSample: 16 };
