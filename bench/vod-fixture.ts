/**
 * The benchmark's VOD: 60 minutes of audio-only HLS like Twitch's `Audio_Only` rendition (AAC in
 * MPEG-TS, 2 s segments, about 260 kbit/s with the container), made with ffmpeg once and cached
 * in `.bench-cache/vod-v1/` (1,800 segments, about 115 MB). The sound is the clip fixtures'
 * speech-like loop (tones with a 1 s pause every 5 s) with pink noise at -45 dB under it, so
 * the encoder spends the bits a real voice would (tones alone stay near 200 kbit/s) and the
 * pauses are still silences for silencedetect (under -35 dB).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { AUDIO_EXPR, CACHE_DIR } from "./fixtures.ts";

const run = promisify(execFile);

export const VOD_SECONDS = 3600;
export const VOD_SEGMENT_SECONDS = 2;
/** AAC bit rate; MPEG-TS adds about 10%. */
const VOD_AUDIO_KBPS = 240;
const VOD_VERSION = 1;

export interface VodFixture {
  dir: string;
  /** File names of the media playlist and its segments, in `dir`. */
  playlist: string;
  segments: number;
  /** Bytes of every segment together: what a whole transfer moves (the playlist is ~60 kB more). */
  bytes: number;
  seconds: number;
  kbps: number;
}

async function ffmpeg(args: string[], cwd: string): Promise<void> {
  await run("ffmpeg", ["-nostdin", "-hide_banner", "-v", "error", "-y", ...args], { cwd, maxBuffer: 1 << 24 });
}

function describe(dir: string): VodFixture {
  const names = readdirSync(dir).filter((name) => name.endsWith(".ts"));
  const bytes = names.reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
  const playlist = readFileSync(join(dir, "index.m3u8"), "utf8");
  const seconds = [...playlist.matchAll(/^#EXTINF:([\d.]+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  return {
    dir,
    playlist: "index.m3u8",
    segments: names.length,
    bytes,
    seconds,
    kbps: Math.round((bytes * 8) / seconds / 1000),
  };
}

/** Builds the VOD when the cache lacks it (about 1-2 minutes of AAC encoding on 2 cores). */
export async function ensureVodFixture(log: (line: string) => void = () => {}): Promise<VodFixture> {
  const dir = join(CACHE_DIR, `vod-v${VOD_VERSION}`);
  if (existsSync(join(dir, "index.m3u8"))) return describe(dir);
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  log(`generating the 60-minute HLS VOD in ${dir} (first run only)`);
  const voice = `aevalsrc=${AUDIO_EXPR}|${AUDIO_EXPR}:s=48000:c=stereo:d=10`;
  await ffmpeg(
    [
      ...["-f", "lavfi", "-i", voice, "-f", "lavfi", "-i", "anoisesrc=c=pink:a=0.008:r=48000:d=10:seed=1"],
      ...["-filter_complex", "[1]aformat=channel_layouts=stereo[n];[0][n]amix=inputs=2:normalize=0"],
      ...["-c:a", "pcm_s16le", "loop.wav"],
    ],
    partial,
  );
  await ffmpeg(
    [
      ...["-stream_loop", "-1", "-i", "loop.wav", "-t", String(VOD_SECONDS)],
      ...["-c:a", "aac", "-b:a", `${VOD_AUDIO_KBPS}k`, "-ar", "48000", "-ac", "2"],
      ...["-f", "hls", "-hls_time", String(VOD_SEGMENT_SECONDS), "-hls_playlist_type", "vod"],
      ...["-hls_segment_filename", "seg%04d.ts", "index.m3u8"],
    ],
    partial,
  );
  rmSync(join(partial, "loop.wav"));
  renameSync(partial, dir);
  return describe(dir);
}

if (import.meta.main) {
  const vod = await ensureVodFixture((line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${JSON.stringify(vod)}\n`);
}
