/**
 * Test media, made with ffmpeg's lavfi sources at test time and cached in the git-ignored
 * `.test-cache/` (nothing binary is committed). Every clip carries a 440 Hz tone so tests can
 * check that the audio that comes out is the audio that went in.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const CACHE_DIR = resolve(import.meta.dirname, "../../.test-cache");
export const TONE_HZ = 440;
export const CLIP_SECONDS = 6;

/** Renditions of one clip: same tone, differently encoded audio, different sizes. */
export const RENDITIONS = [
  {
    name: "tone_1080",
    size: "1920x1080",
    fps: 30,
    videoRate: "3M",
    audio: ["-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-ac", "2"],
  },
  {
    name: "tone_720",
    size: "1280x720",
    fps: 30,
    videoRate: "1500k",
    audio: ["-c:a", "aac", "-b:a", "128k", "-ar", "44100", "-ac", "2"],
  },
  {
    name: "tone_360",
    size: "640x360",
    fps: 30,
    videoRate: "300k",
    audio: ["-c:a", "aac", "-b:a", "96k", "-ar", "48000", "-ac", "1"],
  },
  // A portrait crop: smallest of all, so a naive "worst" would pick it; it must be excluded.
  {
    name: "portrait_tone",
    size: "180x320",
    fps: 30,
    videoRate: "80k",
    audio: ["-c:a", "aac", "-b:a", "64k", "-ar", "22050", "-ac", "1"],
  },
] as const;

async function ffmpeg(args: string[], output: string): Promise<string> {
  const path = join(CACHE_DIR, output);
  if (existsSync(path)) return path;
  mkdirSync(CACHE_DIR, { recursive: true });
  const partial = `${path}.partial${output.slice(output.lastIndexOf("."))}`;
  await run("ffmpeg", ["-hide_banner", "-v", "error", "-y", ...args, partial]);
  renameSync(partial, path);
  return path;
}

export async function rendition(r: (typeof RENDITIONS)[number]): Promise<string> {
  return ffmpeg(
    [
      "-f",
      "lavfi",
      "-i",
      `sine=frequency=${TONE_HZ}:sample_rate=48000:duration=${CLIP_SECONDS}`,
      "-f",
      "lavfi",
      "-i",
      `testsrc2=size=${r.size}:rate=${r.fps}:duration=${CLIP_SECONDS}`,
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-b:v",
      r.videoRate,
      "-pix_fmt",
      "yuv420p",
      ...r.audio,
      "-shortest",
      "-movflags",
      "+faststart",
    ],
    `${r.name}.mp4`,
  );
}

/** A clip with video and no audio stream. */
export function noAudioClip(): Promise<string> {
  return ffmpeg(
    [
      "-f",
      "lavfi",
      "-i",
      `testsrc2=size=320x180:rate=15:duration=3`,
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-movflags",
      "+faststart",
    ],
    "noaudio.mp4",
  );
}

/** Seconds of the index-last clip: its 5.8 MB of PCM are more than ffmpeg probes from a pipe. */
export const INDEX_LAST_SECONDS = 30;

/**
 * A QuickTime file of the 440 Hz tone whose index (moov) comes after its media data, as a
 * plain camera or muxer default writes it: it cannot be decoded from a pipe, only from a file.
 */
export function indexLastClip(): Promise<string> {
  return ffmpeg(
    [
      "-f",
      "lavfi",
      "-i",
      `sine=frequency=${TONE_HZ}:sample_rate=48000:duration=${INDEX_LAST_SECONDS}`,
      "-ac",
      "2",
      "-c:a",
      "pcm_s16le",
    ],
    "index_last.mov",
  );
}

/** Bytes that claim to be an MP4 and are not. */
export function corruptClip(): string {
  const path = join(CACHE_DIR, "corrupt.mp4");
  mkdirSync(CACHE_DIR, { recursive: true });
  if (!existsSync(path)) {
    const bytes = Buffer.alloc(64 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 251;
    writeFileSync(path, bytes);
  }
  return path;
}

/**
 * Speech-like long audio for chunking: `segments` bursts of 440 Hz tone, each `toneSeconds`
 * long, separated by `gapSeconds` of silence. Audio only (m4a), so it is quick to make.
 */
export async function tonesWithSilences(segments: number, toneSeconds: number, gapSeconds: number): Promise<string> {
  const period = toneSeconds + gapSeconds;
  const total = segments * period;
  const expr = `if(lt(mod(t\\,${period})\\,${toneSeconds})\\,0.5*sin(2*PI*${TONE_HZ}*t)\\,0)`;
  return ffmpeg(
    [
      "-f",
      "lavfi",
      "-i",
      `aevalsrc=${expr}:s=48000:d=${total}`,
      "-c:a",
      "aac",
      "-b:a",
      "96k",
      "-movflags",
      "+faststart",
    ],
    `tones_${segments}x${toneSeconds}+${gapSeconds}.m4a`,
  );
}
