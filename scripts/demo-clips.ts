/**
 * Demo clips for `npm start`, so the banner's example request works with no network at all:
 * real speech (Debian's espeak-ng speaks each line to a WAV), with pauses put between the
 * lines, in an MP4 with a test-pattern video track, like a Twitch clip. Made once into
 * `.dev-data/demo/` and served by a small HTTP server (demo-server.ts) as Twitch serves clips: a page per clip
 * (`/<id>`, with the schema.org JSON-LD yt-dlp reads: title, duration, video URL) and the
 * video itself (`/<id>.mp4`, HEAD and byte ranges). The engine fetches `demo-` ids from there
 * when DEMO_SOURCE_URL points at it (container/src/source.ts); local development only.
 *
 * Beside each MP4 a timeline (`<id>.json`) says where the speech and the pauses are, so tests
 * can check the audio the service makes from it.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { parseWavHeader, wavHeader } from "../container/src/wav.ts";

export interface DemoClip {
  id: string;
  title: string;
  /** Spoken one after another, each followed by `pauseSeconds` of digital silence. */
  lines: string[];
  pauseSeconds: number;
}

/** Where each line's speech is in the clip (seconds); everything else is a pause. */
export interface DemoTimeline {
  id: string;
  title: string;
  duration_s: number;
  speech: { start_s: number; end_s: number; text: string }[];
  /** Of the clip definition and this file's format: a changed demo is made again. */
  spec: string;
}

/**
 * Single-clause lines: espeak-ng pauses at every comma and full stop, and the chunker cuts at
 * the latest pause it finds, so the only pauses in the long clip are the ones put there.
 */
const TOUR = [
  "the engine downloads the smallest rendition that still carries the speech",
  "ffmpeg turns the audio into a sixteen kilohertz mono wave file on the fly",
  "long audio is cut into chunks of at most thirty seconds for Whisper",
  "every cut falls in the middle of a pause and never inside a word",
  "each chunk fits one Whisper window whole and needs no further cutting",
  "the manifest is written last so its presence means the clip is complete",
  "the Worker checks every signature and remembers every nonce it has seen",
  "rate limits are exact because one Durable Object counts for each client",
  "background jobs are carried by Durable Object alarms that retry on failure",
  "nothing here needs the network because espeak spoke this clip on your machine",
];

/** Enough lines to last longer than MAX_CLIP_DURATION's default of 300 s (about 330 s). */
const LONG_CLIP_LINES = 36;

export const DEMO_CLIPS: readonly DemoClip[] = [
  {
    id: "demo-hello",
    title: "clip-audio demo: hello",
    lines: [
      "Hello from clip audio",
      "this short demo clip was spoken by espeak and served from your own machine",
      "if you can hear this then the whole service works",
    ],
    pauseSeconds: 1,
  },
  {
    id: "demo-long",
    title: "clip-audio demo: a long clip, chunked at its pauses",
    lines: Array.from(
      { length: LONG_CLIP_LINES },
      (_, i) => `Part ${i + 1} of the tour says that ${TOUR[i % TOUR.length]}`,
    ),
    pauseSeconds: 2,
  },
];

/** espeak-ng writes 22.05 kHz mono s16le. */
const SPEECH_RATE_HZ = 22_050;
const VOICE = ["-v", "en-us", "-s", "150"];
/** Each tool call is short (a line of speech, a few minutes of small video): generous limits. */
const SPEAK_TIMEOUT_MS = 30_000;
const ENCODE_TIMEOUT_MS = 120_000;
/** Bump when the way clips are made changes, so cached clips are made again. */
const FORMAT_VERSION = 1;

const specOf = (clip: DemoClip) =>
  createHash("sha256").update(JSON.stringify({ clip, FORMAT_VERSION, VOICE })).digest("hex").slice(0, 16);

export const demoVideoPath = (dir: string, id: string) => join(dir, `${id}.mp4`);
export const demoTimelinePath = (dir: string, id: string) => join(dir, `${id}.json`);

/** The timeline of a demo clip already made for its current definition, else null. */
function cachedTimeline(dir: string, clip: DemoClip): DemoTimeline | null {
  const path = demoTimelinePath(dir, clip.id);
  if (!existsSync(path) || !existsSync(demoVideoPath(dir, clip.id))) return null;
  const timeline = JSON.parse(readFileSync(path, "utf8")) as DemoTimeline;
  return timeline.spec === specOf(clip) ? timeline : null;
}

/** One line of speech as PCM samples (s16le, SPEECH_RATE_HZ, mono). */
async function speak(text: string, workDir: string, index: number): Promise<Buffer> {
  const path = join(workDir, `line-${index}.wav`);
  await execa("espeak-ng", [...VOICE, "-w", path, text], { timeout: SPEAK_TIMEOUT_MS, stdin: "ignore" }).catch(
    (error: unknown) => {
      if ((error as { code?: string }).code !== "ENOENT") throw error;
      throw new Error(
        "espeak-ng is not installed (it speaks the demo clips): sudo apt-get install -y espeak-ng " +
          "(scripts/bootstrap.mjs does it when run as root)",
      );
    },
  );
  const bytes = await readFile(path);
  const info = parseWavHeader(bytes, bytes.length);
  if (info.sampleRate !== SPEECH_RATE_HZ || info.channels !== 1 || info.bitsPerSample !== 16) {
    throw new Error(`espeak-ng wrote ${info.sampleRate} Hz, ${info.channels} channel(s), ${info.bitsPerSample} bits`);
  }
  return bytes.subarray(info.dataOffset, info.dataOffset + info.dataBytes);
}

/** Speaks every line with a pause after each; returns the WAV and where the speech is. */
async function speech(clip: DemoClip, workDir: string): Promise<{ wav: Buffer; timeline: DemoTimeline }> {
  const parts: Buffer[] = [];
  const spans: DemoTimeline["speech"] = [];
  const pause = Buffer.alloc(Math.round(clip.pauseSeconds * SPEECH_RATE_HZ) * 2);
  let samples = 0;
  for (const [index, text] of clip.lines.entries()) {
    const pcm = await speak(text, workDir, index);
    spans.push({ start_s: samples / SPEECH_RATE_HZ, end_s: (samples + pcm.length / 2) / SPEECH_RATE_HZ, text });
    parts.push(pcm, pause);
    samples += (pcm.length + pause.length) / 2;
  }
  const pcm = Buffer.concat(parts);
  const header = wavHeader(pcm.length, SPEECH_RATE_HZ, 1);
  const timeline = {
    id: clip.id,
    title: clip.title,
    duration_s: samples / SPEECH_RATE_HZ,
    speech: spans,
    spec: specOf(clip),
  };
  return { wav: Buffer.concat([header, pcm]), timeline };
}

/**
 * The speech with a small test-pattern video track, AAC at 48 kHz in an MP4 whose index comes
 * first (as Twitch's are, so the engine can decode it while it downloads).
 */
async function encode(wavPath: string, outPath: string): Promise<void> {
  await execa(
    "ffmpeg",
    [
      ...["-hide_banner", "-loglevel", "error", "-y"],
      ...["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10", "-i", wavPath],
      ...["-map", "0:v", "-map", "1:a", "-shortest"],
      ...["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
      ...["-c:a", "aac", "-b:a", "64k", "-ar", "48000", "-movflags", "+faststart", outPath],
    ],
    { timeout: ENCODE_TIMEOUT_MS, stdin: "ignore" },
  );
}

async function makeClip(dir: string, clip: DemoClip): Promise<DemoTimeline> {
  const workDir = join(dir, `.making-${clip.id}`);
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  try {
    const { wav, timeline } = await speech(clip, workDir);
    const wavPath = join(workDir, "speech.wav");
    await writeFile(wavPath, wav);
    // Renamed into place when whole: the server never offers half a clip.
    const partial = join(workDir, "clip.mp4");
    await encode(wavPath, partial);
    await rename(partial, demoVideoPath(dir, clip.id));
    await writeFile(demoTimelinePath(dir, clip.id), `${JSON.stringify(timeline, null, 2)}\n`);
    return timeline;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Makes the demo clips into `dir` unless they are there already for their current definition
 * (a few seconds the first time). Needs espeak-ng and ffmpeg on PATH (the bootstrap installs them).
 */
export async function makeDemoClips(dir: string, clips: readonly DemoClip[] = DEMO_CLIPS): Promise<DemoTimeline[]> {
  await mkdir(dir, { recursive: true });
  return Promise.all(clips.map((clip) => cachedTimeline(dir, clip) ?? makeClip(dir, clip)));
}
