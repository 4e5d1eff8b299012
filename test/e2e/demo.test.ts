/**
 * The demo clips `npm start` serves (scripts/demo.ts), through the whole local stack
 * (scripts/stack.ts: s3rver as a test double of S3, the engine process, `wrangler dev`), by
 * their demo ids, signed, over HTTP. The WAVs that land in the bucket must be what was spoken:
 * 16 kHz mono, speech-band energy where each line was spoken, digital silence in the pauses
 * put between the lines, and the long clip cut into chunks inside those pauses.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoServer, type DemoTimeline, makeDemoClips, startDemoServer } from "../../scripts/demo.ts";
import { freePort, type Stack, startStack } from "../../scripts/stack.ts";
import { signRequest } from "../../shared/hmac.ts";
import { keys } from "../../shared/keys.ts";
import type { Manifest, ProcessClipsResponse } from "../../shared/schemas.ts";
import { type DecodedWav, decodeWav, rms, tonePower } from "../support/audio.ts";
import { CACHE_DIR } from "../support/media.ts";

const SECRET = "demo-e2e-secret-0123456789";
let stack: Stack;
let demo: DemoServer;
let dataDir: string;
const timelines = new Map<string, DemoTimeline>();

beforeAll(async () => {
  // Made once into the tests' cache, like every test medium (a few seconds the first time).
  const demoDir = join(CACHE_DIR, "demo");
  for (const timeline of await makeDemoClips(demoDir)) timelines.set(timeline.id, timeline);
  demo = await startDemoServer({ dir: demoDir, port: 0 });
  dataDir = await mkdtemp(join(tmpdir(), "clip-audio-demo-e2e-"));
  const [worker, container, bucket, inspector] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  stack = await startStack({
    ports: { worker, container, bucket, inspector },
    dataDir,
    env: { HMAC_SHARED_SECRET: SECRET, DEMO_SOURCE_URL: demo.url, STORE_VIDEO: "false" },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await demo?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function processClips(ids: string[]): Promise<ProcessClipsResponse> {
  const body = JSON.stringify({ clip_ids: ids });
  const response = await fetch(`${stack.urls.worker}/api/process-clips`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(await signRequest(SECRET, body)) },
    body,
  });
  expect(response.status).toBe(200);
  return (await response.json()) as ProcessClipsResponse;
}

/** s3rver answers unsigned reads (R2 would not): what the banner tells users to fetch. */
async function bucketObject(key: string): Promise<Buffer> {
  const response = await fetch(`${stack.urls.bucket}/clip-recap-pipeline/${key}`);
  expect(response.status, key).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

const SPEECH_BAND_HZ = [80, 4000] as const;

/**
 * Where the energy of a stretch of audio is: the share inside the speech band (Goertzel every
 * 50 Hz up to Nyquist), and the share of that band's strongest bin (a single tone would hold
 * nearly all of it; a voice spreads over its harmonics and formants).
 */
function spectrum(samples: Int16Array, sampleRate: number): { inBand: number; strongestBin: number } {
  let inside = 0;
  let outside = 0;
  let strongest = 0;
  for (let f = 50; f < sampleRate / 2; f += 50) {
    const power = tonePower(samples, sampleRate, f);
    if (f >= SPEECH_BAND_HZ[0] && f <= SPEECH_BAND_HZ[1]) {
      inside += power;
      strongest = Math.max(strongest, power);
    } else {
      outside += power;
    }
  }
  return { inBand: inside / (inside + outside), strongestBin: strongest / inside };
}

const seconds = (wav: DecodedWav, from: number, to: number) =>
  wav.samples.subarray(Math.round(from * wav.sampleRate), Math.round(to * wav.sampleRate));

/** Speech in the middle 2 s of every spoken line; silence in every pause between lines. */
function expectSpeechWherePut(wav: DecodedWav, timeline: DemoTimeline): void {
  for (const [index, line] of timeline.speech.entries()) {
    const middle = (line.start_s + line.end_s) / 2;
    const spoken = seconds(wav, Math.max(line.start_s, middle - 1), Math.min(line.end_s, middle + 1));
    const { inBand, strongestBin } = spectrum(spoken, wav.sampleRate);
    expect(rms(spoken), `line ${index} "${line.text}" is loud enough`).toBeGreaterThan(0.03);
    expect(inBand, `line ${index}: energy in the speech band`).toBeGreaterThan(0.9);
    expect(strongestBin, `line ${index}: many frequencies, not one tone`).toBeLessThan(0.7);

    const pauseEnd = timeline.speech[index + 1]?.start_s ?? timeline.duration_s;
    // A few milliseconds off each edge: the AAC round trip smears the edges of a pause.
    const pause = seconds(wav, line.end_s + 0.05, pauseEnd - 0.05);
    expect(pause.length, `pause after line ${index}`).toBeGreaterThan(0);
    expect(rms(pause), `pause after line ${index} is silent`).toBeLessThan(0.002);
  }
}

describe("demo clips through the local stack", () => {
  it("turns demo-hello into a 16 kHz mono WAV with the speech where it was spoken", async () => {
    const timeline = timelines.get("demo-hello") as DemoTimeline;
    const response = await processClips(["demo-hello"]);
    expect(response).toMatchObject({ success: true, message: "Processed 1/1 clips successfully" });
    const wav = decodeWav(await bucketObject(keys.wav("demo-hello")));
    expect([wav.sampleRate, wav.channels]).toEqual([16_000, 1]);
    expect(wav.durationSeconds).toBeCloseTo(timeline.duration_s, 1);
    expectSpeechWherePut(wav, timeline);
    const manifest = JSON.parse((await bucketObject(keys.manifest("demo-hello"))).toString()) as Manifest;
    expect(manifest.chunks).toEqual([]);
    expect(manifest.source_metadata).toMatchObject({ title: timeline.title, url: `${demo.url}/demo-hello` });
  }, 60_000);

  it("cuts demo-long (longer than MAX_CLIP_DURATION) into chunks inside the pauses put between its lines", async () => {
    const timeline = timelines.get("demo-long") as DemoTimeline;
    expect(timeline.duration_s).toBeGreaterThan(300);
    const response = await processClips(["demo-long"]);
    expect(response).toMatchObject({ success: true });
    const wav = decodeWav(await bucketObject(keys.wav("demo-long")));
    expect([wav.sampleRate, wav.channels]).toEqual([16_000, 1]);
    expectSpeechWherePut(wav, timeline);

    const manifest = JSON.parse((await bucketObject(keys.manifest("demo-long"))).toString()) as Manifest;
    expect(manifest.chunks.length).toBeGreaterThanOrEqual(10);
    const pauses = timeline.speech.map((line, i) => [line.end_s, timeline.speech[i + 1]?.start_s ?? Infinity]);
    for (const chunk of manifest.chunks.slice(1)) {
      const inPause = pauses.some(([from, to]) => chunk.start_s > (from as number) && chunk.start_s < (to as number));
      expect(inPause, `chunk ${chunk.index} starts at ${chunk.start_s} s, inside a pause`).toBe(true);
    }
    for (const chunk of manifest.chunks) expect(chunk.duration_s).toBeLessThanOrEqual(30);
    const first = decodeWav(await bucketObject(manifest.chunks[0]?.key as string));
    expect([first.sampleRate, first.channels]).toEqual([16_000, 1]);
    expect(first.durationSeconds).toBeCloseTo(manifest.chunks[0]?.duration_s as number, 2);
  }, 60_000);
});
