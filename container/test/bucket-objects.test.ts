/**
 * The engine's objects as the real caller sees them, in s3rver (a test double of S3, given S3's
 * atomic PUT by test/support/s3-atomic.ts): the original's custom metadata on the WAV and its
 * chunks, the caller's `clips/{id}.json` left alone, and a WAV that is never visible before it
 * is whole (the caller judges success by a HEAD of `audio/{id}.wav`).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { s3Settings } from "../../shared/config.ts";
import { keys } from "../../shared/keys.ts";
import { type FixtureServer, startFixtureServer } from "../../test/support/fixture-server.ts";
import { CLIP_SECONDS } from "../../test/support/media.ts";
import { type LocalS3, startS3, TEST_BUCKET } from "../../test/support/s3.ts";
import { loadConfig } from "../src/config.ts";
import { processClip } from "../src/pipeline.ts";
import { S3Sink } from "../src/sinks/s3.ts";
import type { Sink } from "../src/sinks/sink.ts";

let fixtures: FixtureServer;
let s3: LocalS3;
let workDir: string;

beforeAll(async () => {
  [fixtures, s3] = await Promise.all([startFixtureServer(), startS3()]);
  workDir = await mkdtemp(join(tmpdir(), "engine-objects-"));
}, 120_000);

afterAll(async () => {
  await Promise.all([fixtures?.close(), s3?.close()]);
  await rm(workDir, { recursive: true, force: true });
});

function config(overrides: Record<string, string> = {}) {
  return loadConfig({ ...s3.env, CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate, WORK_DIR: workDir, ...overrides });
}

function newSink(): S3Sink {
  return new S3Sink(s3Settings(config()) as NonNullable<ReturnType<typeof s3Settings>>);
}

const objectUrl = (key: string) => `${s3.endpoint}/${TEST_BUCKET}/${key}`;

async function head(key: string): Promise<{ status: number; bytes: number; meta: Record<string, string> }> {
  const response = await fetch(objectUrl(key), { method: "HEAD" });
  const meta: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name.startsWith("x-amz-meta-")) meta[name.slice("x-amz-meta-".length)] = value;
  });
  return { status: response.status, bytes: Number(response.headers.get("content-length")), meta };
}

/**
 * Passes a stream on in `pieceBytes` pieces, `pauseMs` apart: a slow link to the bucket. The
 * pauses are the point (an upload that lasts long enough to be watched), not a wait for something.
 */
function trickle(pieceBytes: number, pauseMs: number): Transform {
  return new Transform({
    async transform(chunk: Buffer, _encoding, done) {
      for (let at = 0; at < chunk.length; at += pieceBytes) {
        await new Promise((r) => setTimeout(r, pauseMs));
        this.push(chunk.subarray(at, at + pieceBytes));
      }
      done();
    },
  });
}

/** `inner`, with every WAV body slowed down; `wavPut` tells when the WAV's upload begins and ends. */
function slowWavSink(inner: Sink) {
  const wavPut = { started: 0, done: 0 };
  const sink: Sink = {
    description: inner.description,
    exists: (key) => inner.exists(key),
    readText: (key) => inner.readText(key),
    delete: (key) => inner.delete(key),
    close: () => inner.close(),
    put: async (key, body, options) => {
      if (!key.endsWith(".wav") || !(body instanceof Readable)) return inner.put(key, body, options);
      wavPut.started = Date.now();
      await inner.put(key, body.pipe(trickle(16 * 1024, 100)), options);
      wavPut.done = Date.now();
    },
  };
  return { sink, wavPut };
}

type Seen = { at: number; status: number; bytes: number };

/** HEADs `key` every 50 ms until `until` settles; every answer, in order (also in `seen` as they come). */
async function watch(key: string, until: Promise<unknown>, seen: Seen[] = []) {
  let settled = false;
  const stop = until.finally(() => {
    settled = true;
  });
  while (!settled) {
    const at = Date.now();
    const { status, bytes } = await head(key);
    seen.push({ at, status, bytes });
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop;
  return seen;
}

describe("objects as the original wrote them (s3rver, a test double of S3)", () => {
  it("writes the original's metadata on the WAV and each chunk, and leaves the caller's record alone", async () => {
    const id = "tone-objects";
    const record = `${JSON.stringify({ id, embed_url: "https://clips.twitch.tv/embed?clip=x", stored_at: "t" })}`;
    const sink = newSink();
    await sink.put(keys.callerRecord(id), record, { contentType: "application/json" });
    const before = Math.floor(Date.now() / 1000) * 1000;
    // 6 s of audio, chunked above 1 s into 5 s pieces: two chunks.
    const cfg = config({ MAX_CLIP_DURATION: "1", CHUNK_SECONDS: "5" });
    const result = await processClip(id, { config: cfg, sink, storeVideo: false, force: true });
    const after = Date.now();
    const { manifest } = result;
    expect(manifest.chunks).toHaveLength(2);

    const wav = await head(keys.wav(id));
    expect(wav.meta).toEqual({
      status: "ready_for_asr",
      source: "twitch",
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      clip_id: id,
      sample_rate: "16000",
      channels: "1",
      duration: manifest.duration_s.toFixed(3),
      source_kind: "clip",
    });
    // The duration is the clip's (the fixture's length), not merely the manifest's own figure.
    expect(Number(wav.meta.duration)).toBeCloseTo(CLIP_SECONDS, 1);
    // created_at is when we processed the clip, not when it was made on Twitch.
    const createdAt = Date.parse(wav.meta.created_at as string);
    expect(createdAt).toBeGreaterThanOrEqual(before);
    expect(createdAt).toBeLessThanOrEqual(after);

    for (const chunk of manifest.chunks) {
      expect((await head(chunk.key)).meta).toEqual({
        ...wav.meta,
        // As the original: the whole clip's duration on every chunk, beside the chunk's place.
        duration: manifest.duration_s.toFixed(3),
        chunk_index: String(chunk.index),
        total_chunks: "2",
        chunk_type: "audio_segment",
        chunk_start: chunk.start_s.toFixed(3),
        chunk_duration: chunk.duration_s.toFixed(3),
      });
    }

    expect(await sink.readText(keys.callerRecord(id))).toBe(record);
    expect(result.files_uploaded).not.toContain(keys.callerRecord(id));
    expect(manifest.source_metadata).toMatchObject({ clip_id: id, title: expect.stringMatching(/^Fixture clip tone/) });
    sink.close();
  });
});

describe("a WAV is never visible before it is whole (s3rver given S3's atomic PUT)", () => {
  it("answers HEAD audio/{id}.wav with 404 while a slow upload runs, then with the whole object", async () => {
    const id = "tone-slow-upload";
    const { sink, wavPut } = slowWavSink(newSink());
    const running = processClip(id, { config: config(), sink, storeVideo: false, force: true });
    const seen = await watch(keys.wav(id), running);
    const { manifest } = await running;
    // The upload of 192 KB in 16 KB pieces 100 ms apart took over a second; during it, 404.
    expect(wavPut.done - wavPut.started).toBeGreaterThan(1000);
    const during = seen.filter((s) => s.at > wavPut.started && s.at < wavPut.done - 200);
    expect(during.length).toBeGreaterThan(5);
    expect(during.every((s) => s.status === 404)).toBe(true);
    // Whenever it was visible, it was whole.
    for (const s of seen.filter((s) => s.status !== 404))
      expect(s).toMatchObject({ status: 200, bytes: manifest.bytes });
    expect(await head(keys.wav(id))).toMatchObject({ status: 200, bytes: manifest.bytes });
    sink.close();
  }, 30_000);

  it("keeps a multipart upload of unknown length invisible until it is completed", async () => {
    const sink = newSink();
    const key = keys.wav("multipart-slow");
    const part = Buffer.alloc(9 * 1024 * 1024, 1);
    const seen: Seen[] = [];
    // More than one 8 MiB part, of unknown length: the sink sends it as a multipart upload. The
    // rest is held back until the bucket has been asked six times with the upload half done.
    async function* body() {
      yield part;
      const asked = seen.length;
      await vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(asked + 6), { timeout: 20_000 });
      yield part;
    }
    const upload = sink.put(key, Readable.from(body()), { contentType: "audio/wav" });
    await watch(key, upload, seen);
    expect(seen.length).toBeGreaterThan(5);
    expect(seen.every((s) => s.status === 404 || s.bytes === 2 * part.length)).toBe(true);
    expect(seen.filter((s) => s.status === 404).length).toBeGreaterThan(5);
    expect(await head(key)).toMatchObject({ status: 200, bytes: 2 * part.length });
    sink.close();
  }, 30_000);

  it("leaves no object behind when an upload fails half-way", async () => {
    const sink = newSink();
    const key = keys.wav("broken-upload");
    async function* body() {
      yield Buffer.alloc(100_000, 1);
      // A source that breaks off a moment after it began: the pause is the point.
      await new Promise((r) => setTimeout(r, 200));
      throw new Error("the source went away");
    }
    await expect(
      sink.put(key, Readable.from(body()), { contentType: "audio/wav", contentLength: 1_000_000 }),
    ).rejects.toMatchObject({ code: "storage_failed" });
    expect((await head(key)).status).toBe(404);
    sink.close();
  }, 30_000);
});
