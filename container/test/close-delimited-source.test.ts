/**
 * One source must never take the engine down with every job in flight. A source that answers
 * HTTP/1.0 and closes each connection, as Python's `http.server` does, ends every response with
 * the close of the socket. Node 22's bundled undici (6.28.1 in Node 22.23.3) asserted `!paused`
 * when that close reached a parser that backpressure had paused (ffmpeg and the file slower than
 * the socket): an uncaught AssertionError in the socket's `end` handler that ended the whole
 * process (nodejs/undici#5360, fixed by #5474 in undici 8.6.0). Whether the close lands on a
 * paused parser is a race, so the clips are ones it is lost on: three at once, for three rounds,
 * through the real engine process, from the real Python server and from one that sends no
 * Content-Length (the body ends only with the close). Every clip must come out as its tone, and
 * the engine must answer after every round.
 */
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../../shared/hmac.ts";
import { JobEvent } from "../../shared/job.ts";
import { keys } from "../../shared/keys.ts";
import { decodeWav, dominantFrequency } from "../../test/support/audio.ts";
import { type EngineProcess, startEngineProcess } from "../../test/support/engine-process.ts";
import { TONE_HZ, tonesWithSilences } from "../../test/support/media.ts";

const SECRET = "close-delimited-test-secret";
const CLIPS = ["tone-a", "tone-b", "tone-c"];
/** Before the fix the first round crashed the engine in 12 runs of 12 (6 per source); three leave no chance. */
const ROUNDS = 3;
const SAMPLE_RATE = 16_000;
/**
 * Two minutes of the tone as AAC (1.4 MB). Audio is what ffmpeg spends its time on, so its input
 * lags the socket to the last byte and the close arrives on a paused parser. (The 2.4 MB 1080p
 * rendition is mostly video, which ffmpeg skips: it crashed the engine in about half the rounds.)
 */
const CLIP = { segments: 4, toneSeconds: 28, gapSeconds: 2 };
const CLIP_SECONDS = CLIP.segments * (CLIP.toneSeconds + CLIP.gapSeconds);

let dir: string;
let media: string;
let python: ResultPromise;
let pythonUrl: string;
let noLength: Server;
let noLengthUrl: string;

/** `python3 -m http.server` on a free port: SimpleHTTPRequestHandler answers HTTP/1.0, then closes. */
async function startPython(directory: string): Promise<string> {
  // -u: it prints its port unbuffered; cleanup: it goes with this process, however that ends.
  const args = ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", directory];
  python = execa("python3", args, { stdin: "ignore", stderr: "ignore", buffer: false, reject: false, cleanup: true });
  return new Promise((resolve, reject) => {
    let said = "";
    python.stdout?.on("data", (data: Buffer) => {
      said += data.toString();
      const port = /port (\d+)/.exec(said)?.[1];
      if (port) resolve(`http://127.0.0.1:${port}`);
    });
    void python.then((result) => reject(new Error(`python3 -m http.server exited (${result.exitCode})`)));
  });
}

/** HTTP/1.0 with no Content-Length: the body ends when the socket closes (RFC 9112, 6.3). */
async function startNoLength(file: string): Promise<string> {
  const body = readFileSync(file);
  noLength = createServer((socket) => {
    let head = "";
    socket.on("error", () => undefined);
    socket.on("data", (data: Buffer) => {
      head += data.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.removeAllListeners("data");
      socket.write("HTTP/1.0 200 OK\r\nContent-Type: audio/mp4\r\n\r\n");
      if (head.startsWith("HEAD ")) socket.end();
      else socket.end(body);
    });
  });
  await new Promise<void>((resolve) => noLength.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(noLength.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "close-delimited-"));
  media = await tonesWithSilences(CLIP.segments, CLIP.toneSeconds, CLIP.gapSeconds);
  const served = join(dir, "served");
  await mkdir(served);
  for (const id of CLIPS) await symlink(media, join(served, `${id}.m4a`));
  pythonUrl = await startPython(served);
  noLengthUrl = await startNoLength(media);
}, 120_000);

afterAll(async () => {
  python?.kill();
  await python;
  await new Promise((resolve) => (noLength ? noLength.close(resolve) : resolve(undefined)));
  await rm(dir, { recursive: true, force: true });
});

/** Runs one job to its end over the engine's HTTP API; its events, in order. */
async function runJob(engine: EngineProcess, url: string): Promise<JobEvent[]> {
  const text = JSON.stringify({ clip_id: url, force: true });
  const headers = { "content-type": "application/json", ...(await signRequest(SECRET, text)) };
  const response = await fetch(`${engine.url}/jobs`, { method: "POST", body: text, headers });
  return (await response.text())
    .trim()
    .split("\n")
    .map((line) => JobEvent.parse(JSON.parse(line)));
}

/** The clip's WAV as the engine wrote it: 16 kHz mono, the clip's length, the fixture's tone. */
function expectTone(clipId: string): void {
  const wav = decodeWav(readFileSync(join(dir, "out", keys.wav(clipId))));
  expect(wav).toMatchObject({ formatName: "wav", codec: "pcm_s16le", sampleRate: SAMPLE_RATE, channels: 1 });
  expect(wav.durationSeconds).toBeCloseTo(CLIP_SECONDS, 0);
  // The tone at the start and in the last burst (the bytes that came with the close).
  const last = CLIP_SECONDS - CLIP.gapSeconds - 3;
  for (const at of [1, last]) {
    const stretch = wav.samples.subarray(at * SAMPLE_RATE, (at + 2) * SAMPLE_RATE);
    expect(dominantFrequency(stretch, SAMPLE_RATE), `tone at ${at} s`).toBe(TONE_HZ);
  }
}

/** Whether the engine answers /health now (a fresh connection: the test's pool may hold stale ones). */
async function health(engine: EngineProcess): Promise<unknown> {
  const response = await fetch(`${engine.url}/health`, { headers: { connection: "close" } });
  expect(response.status).toBe(200);
  return response.json();
}

describe.each([
  { source: "python3 -m http.server (HTTP/1.0, Content-Length, then close)", base: () => pythonUrl },
  { source: "an HTTP/1.0 server without Content-Length (the close ends the body)", base: () => noLengthUrl },
])("a source that closes each connection: $source", ({ base }) => {
  let engine: EngineProcess;
  // An engine per source: a crash on one must not hide how the other fares.
  beforeAll(async () => {
    engine = await startEngineProcess({
      HMAC_SHARED_SECRET: SECRET,
      // Jobs name their source by URL: both servers are on 127.0.0.1.
      SOURCE_HOSTS: "127.0.0.1",
      WORK_DIR: join(dir, "work"),
      OUTPUT_DIR: join(dir, "out"),
      STORE_VIDEO: "false",
      JOB_CONCURRENCY: String(CLIPS.length),
    });
  }, 60_000);
  afterAll(() => engine?.stop());

  it("three clips at once, round after round: all come out as the tone and the engine lives on", async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      const runs = await Promise.allSettled(CLIPS.map((id) => runJob(engine, `${base()}/${id}.m4a`)));
      // A job whose request breaks off means the engine process went away mid-job.
      expect(
        runs.map((run) => run.status),
        `round ${round}: the engine answered every job`,
      ).toEqual(CLIPS.map(() => "fulfilled"));
      expect(engine.process.exitCode, `round ${round}: the engine process is alive`).toBeNull();
      expect(await health(engine)).toMatchObject({ status: "ok", active_jobs: 0 });
      for (const run of runs) {
        const final = run.status === "fulfilled" ? run.value.at(-1) : undefined;
        expect(final, `round ${round}`).toMatchObject({ type: "completed", result: { skipped: false } });
        if (final?.type === "completed") expectTone(final.result.clip_id);
      }
    }
  }, 120_000);
});
