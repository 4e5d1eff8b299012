/**
 * The benchmark's media, made with ffmpeg once and cached in the git-ignored `.bench-cache/`.
 *
 * One "Twitch clip" in the renditions Twitch serves for clips (progressive MP4, H.264 + AAC):
 * 1080p60 at ~6 Mbit/s down to 360p30 at ~0.6 Mbit/s, all carrying the same AAC 48 kHz stereo
 * track (encoded once per length, then muxed into every rendition by stream copy). The sound is
 * tones with a 1 s pause every 5 s, so silence-based chunking has somewhere to cut.
 *
 * Encoding 30 minutes of 1080p60 would take far too long on two cores, so only a 10 s video
 * segment is encoded per rendition (x264 ultrafast, CBR with filler so the byte rate is the
 * nominal one even on a simple test pattern). The 60 s clip and the 30-minute video repeat it
 * with ffmpeg's concat demuxer and stream copy (timestamps offset per repetition), muxed with the
 * audio track and `+faststart` like Twitch's clip files. First-time generation takes about a
 * minute on this machine, most of it encoding 30 minutes of AAC.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const ROOT = resolve(import.meta.dirname, "..");
export const CACHE_DIR = join(ROOT, ".bench-cache");

export interface Rendition {
  /** Format label as Twitch names clip qualities. */
  id: string;
  width: number;
  height: number;
  fps: number;
  videoKbps: number;
}

export const AUDIO_KBPS = 128;
/** Length of the encoded segment every fixture is built from. */
export const SEGMENT_SECONDS = 10;

/** Total bit rate (video + 128 kbit/s audio): 6.0, 3.1, 1.3 and 0.6 Mbit/s. */
export const RENDITIONS: readonly Rendition[] = [
  { id: "1080p60", width: 1920, height: 1080, fps: 60, videoKbps: 5872 },
  { id: "720p60", width: 1280, height: 720, fps: 60, videoKbps: 2972 },
  { id: "480p30", width: 854, height: 480, fps: 30, videoKbps: 1172 },
  { id: "360p30", width: 640, height: 360, fps: 30, videoKbps: 472 },
];

/** The inputs the benchmark uses: a 60 s clip and a 30-minute video. */
export const LENGTHS = { clip: 60, long: 1800 } as const;
export type LengthName = keyof typeof LENGTHS;

/** Bump when anything below changes the generated media, so stale caches are rebuilt. */
const FIXTURE_VERSION = 2;

export interface MediaFile {
  rendition: string;
  height: number;
  fps: number;
  length: LengthName;
  seconds: number;
  path: string;
  bytes: number;
  /** Measured total bit rate (bytes × 8 / duration), kbit/s. */
  kbps: number;
}

export interface Fixtures {
  dir: string;
  /** The 10 s PCM loop every audio track is made of. */
  audioLoop: string;
  media: MediaFile[];
  /** Seconds spent generating, 0 when everything came from the cache. */
  generatedSeconds: number;
}

export function mediaName(length: LengthName, rendition: string): string {
  return `${length}-${rendition}.mp4`;
}

async function ffmpeg(args: string[], cwd: string): Promise<void> {
  await run("ffmpeg", ["-nostdin", "-hide_banner", "-v", "error", "-y", ...args], {
    cwd,
    maxBuffer: 16 * 1024 * 1024,
  });
}

/** A speech-like test signal: tones that change pitch, with 1 s pauses every 5 s (silences to cut at). */
export const AUDIO_EXPR =
  "if(lt(mod(t\\,5)\\,4)\\,0.3*sin(2*PI*(220+110*floor(mod(t\\,10)/5))*t)+0.15*sin(2*PI*880*t)\\,0)";

/** 10 s of PCM: the loop every audio track is made of (220 Hz and 330 Hz are whole cycles in 10 s). */
async function makeAudioLoop(dir: string, out: string): Promise<void> {
  await ffmpeg(
    [
      "-f",
      "lavfi",
      "-i",
      `aevalsrc=${AUDIO_EXPR}|${AUDIO_EXPR}:s=48000:c=stereo:d=${SEGMENT_SECONDS}`,
      "-c:a",
      "pcm_s16le",
      out,
    ],
    dir,
  );
}

/**
 * The AAC track of one length, encoded once and muxed into every rendition: the whole length
 * is encoded (not concatenated from segments) so the track is continuous, without an AAC
 * priming gap or overlapping timestamps at every segment boundary.
 */
async function encodeAudio(dir: string, loop: string, seconds: number, out: string): Promise<void> {
  await ffmpeg(
    [
      "-stream_loop",
      "-1",
      "-i",
      loop,
      "-t",
      String(seconds),
      "-c:a",
      "aac",
      "-b:a",
      `${AUDIO_KBPS}k`,
      "-ar",
      "48000",
      "-ac",
      "2",
      out,
    ],
    dir,
  );
}

/** A video-only segment: a whole number of frames, so segments concatenate cleanly. */
async function encodeVideoSegment(dir: string, r: Rendition, out: string): Promise<void> {
  const kbps = `${r.videoKbps}k`;
  await ffmpeg(
    [
      "-f",
      "lavfi",
      "-i",
      `testsrc2=size=${r.width}x${r.height}:rate=${r.fps}:duration=${SEGMENT_SECONDS}`,
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-tune",
      "zerolatency",
      "-pix_fmt",
      "yuv420p",
      "-b:v",
      kbps,
      "-minrate",
      kbps,
      "-maxrate",
      kbps,
      "-bufsize",
      kbps,
      "-x264-params",
      "nal-hrd=cbr:force-cfr=1",
      "-g",
      String(r.fps * 2),
      "-an",
      out,
    ],
    dir,
  );
}

/** Video: the segment repeated (concat demuxer, stream copy, timestamps offset); audio: the long track. */
async function assemble(dir: string, segment: string, count: number, audio: string, out: string): Promise<void> {
  const list = `${out}.txt`;
  writeFileSync(join(dir, list), `file '${segment}'\n`.repeat(count));
  const partial = `${out}.partial.mp4`;
  await ffmpeg(
    [
      "-f",
      "concat",
      "-safe",
      "0",
      "-i",
      list,
      "-i",
      audio,
      "-map",
      "0:v",
      "-map",
      "1:a",
      "-c",
      "copy",
      "-movflags",
      "+faststart",
      partial,
    ],
    dir,
  );
  renameSync(join(dir, partial), join(dir, out));
  rmSync(join(dir, list));
}

async function probeSeconds(path: string): Promise<number> {
  const { stdout } = await run("ffprobe", [
    "-v",
    "error",
    "-show_entries",
    "format=duration",
    "-of",
    "default=noprint_wrappers=1:nokey=1",
    path,
  ]);
  return Number(stdout.trim());
}

/** Builds whatever is missing in the cache and describes every file. */
export async function ensureFixtures(log: (line: string) => void = () => {}): Promise<Fixtures> {
  const dir = join(CACHE_DIR, `fixtures-v${FIXTURE_VERSION}`);
  const indexPath = join(dir, "index.json");
  if (existsSync(indexPath)) {
    const cached = JSON.parse(readFileSync(indexPath, "utf8")) as Fixtures;
    if (cached.media.every((m) => existsSync(m.path) && statSync(m.path).size === m.bytes)) {
      return { ...cached, generatedSeconds: 0 };
    }
  }
  const started = performance.now();
  mkdirSync(dir, { recursive: true });
  log(`generating fixtures in ${dir} (first run only)`);
  const loop = "audio-loop.wav";
  await makeAudioLoop(dir, loop);
  const audio = (length: LengthName) => `audio-${length}.m4a`;
  for (const [length, seconds] of Object.entries(LENGTHS) as [LengthName, number][]) {
    await encodeAudio(dir, loop, seconds, audio(length));
  }
  const media: MediaFile[] = [];
  for (const r of RENDITIONS) {
    const segment = `segment-${r.id}.mp4`;
    await encodeVideoSegment(dir, r, segment);
    for (const [length, seconds] of Object.entries(LENGTHS) as [LengthName, number][]) {
      const name = mediaName(length, r.id);
      await assemble(dir, segment, Math.round(seconds / SEGMENT_SECONDS), audio(length), name);
      const path = join(dir, name);
      const bytes = statSync(path).size;
      const duration = await probeSeconds(path);
      media.push({
        rendition: r.id,
        height: r.height,
        fps: r.fps,
        length,
        seconds: duration,
        path,
        bytes,
        kbps: Math.round((bytes * 8) / duration / 1000),
      });
      log(`  ${name}: ${(bytes / 1e6).toFixed(1)} MB, ${duration.toFixed(1)} s`);
    }
  }
  const fixtures: Fixtures = {
    dir,
    audioLoop: join(dir, loop),
    media,
    generatedSeconds: (performance.now() - started) / 1000,
  };
  writeFileSync(indexPath, JSON.stringify(fixtures, null, 2));
  return fixtures;
}

/** The file of one rendition at one length. */
export function mediaFile(fixtures: Fixtures, length: LengthName, rendition: string): MediaFile {
  const file = fixtures.media.find((m) => m.length === length && m.rendition === rendition);
  if (!file) throw new Error(`no fixture ${length}/${rendition}`);
  return file;
}

/** The smallest rendition: what an audio-only pipeline needs to fetch. */
/** The rendition a pipeline transfers: the smallest with video off, else the best (1080p). */
export function renditionOf(fixtures: Fixtures, length: LengthName, videoOff: boolean): MediaFile {
  if (videoOff) return smallestRendition(fixtures, length);
  const files = fixtures.media.filter((m) => m.length === length);
  return files.reduce((a, b) => (b.bytes > a.bytes ? b : a));
}

export function smallestRendition(fixtures: Fixtures, length: LengthName): MediaFile {
  const files = fixtures.media.filter((m) => m.length === length);
  return files.reduce((a, b) => (b.bytes < a.bytes ? b : a));
}
