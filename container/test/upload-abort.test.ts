/**
 * "The first failure stops the rest": when one upload of a clip fails, the others in flight are
 * aborted and have ended before processClip deletes the work directory they read from. The sink
 * is LocalSink with two changes for the test: the peaks upload fails, and the WAV upload (which
 * goes beside it, once the video is in place: upload.ts) is a slow one that lasts until its
 * signal aborts (or 5 s). And the S3 sink's put honours that signal against s3rver (a test double
 * of S3).
 */

import type { ReadStream } from "node:fs";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { s3Settings } from "../../shared/config.ts";
import { ClipAudioError } from "../../shared/errors.ts";
import { keys } from "../../shared/keys.ts";
import { type FixtureServer, startFixtureServer } from "../../test/support/fixture-server.ts";
import { type LocalS3, startS3 } from "../../test/support/s3.ts";
import { loadConfig } from "../src/config.ts";
import { processClip } from "../src/pipeline.ts";
import { LocalSink } from "../src/sinks/local.ts";
import { S3Sink } from "../src/sinks/s3.ts";
import type { Body, PutOptions } from "../src/sinks/sink.ts";

const SLOW_UPLOAD_MS = 5_000;

let fixtures: FixtureServer;
let s3: LocalS3;
let workDir: string;
let outDir: string;

beforeAll(async () => {
  [fixtures, s3] = await Promise.all([startFixtureServer(), startS3()]);
  workDir = await mkdtemp(join(tmpdir(), "engine-work-"));
  outDir = await mkdtemp(join(tmpdir(), "engine-out-"));
}, 120_000);

afterAll(async () => {
  await Promise.all([fixtures.close(), s3.close()]);
  await rm(workDir, { recursive: true, force: true });
  await rm(outDir, { recursive: true, force: true });
});

class FailingSink extends LocalSink {
  inFlight = 0;
  /** What the slow WAV upload saw when it ended. */
  slowUpload: { aborted: boolean; fileStillThere: boolean } | null = null;
  videoDone = false;
  /** Whether the video was in place when the WAV's upload started. */
  videoBeforeWav: boolean | null = null;

  override async put(key: string, body: Body, options: PutOptions): Promise<void> {
    if (key === keys.wav("tone-abort")) this.videoBeforeWav = this.videoDone;
    this.inFlight++;
    try {
      if (key === keys.peaks("tone-abort")) {
        // After a moment, so the WAV's upload is under way when this one fails.
        await new Promise((resolve) => setTimeout(resolve, 100));
        throw new ClipAudioError("storage_failed", `Could not write ${key}: the test's sink refuses it`);
      }
      if (key === keys.wav("tone-abort")) {
        const path = String((body as ReadStream).path);
        const aborted = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), SLOW_UPLOAD_MS);
          options.signal?.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve(true);
          });
        });
        this.slowUpload = { aborted, fileStillThere: existsSync(path) };
        (body as ReadStream).destroy();
        if (aborted) throw new ClipAudioError("storage_failed", "aborted");
        return;
      }
      await super.put(key, body, options);
      if (key === keys.video("tone-abort")) this.videoDone = true;
    } finally {
      this.inFlight--;
    }
  }
}

describe("uploads of a clip", () => {
  it("stop at the first failure: the others in flight are aborted before the work directory goes", async () => {
    const sink = new FailingSink(outDir);
    const config = loadConfig({
      CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate,
      WORK_DIR: workDir,
      OUTPUT_DIR: outDir,
    });
    const started = Date.now();
    await expect(processClip("tone-abort", { config, sink, storeVideo: true })).rejects.toMatchObject({
      code: "storage_failed",
      message: expect.stringContaining("refuses"),
    });
    // Nothing still uploading once processClip has returned, and the slow upload was stopped
    // (not left to run out its 5 s), while its file was still there to read.
    expect(sink.inFlight).toBe(0);
    expect(sink.slowUpload).toEqual({ aborted: true, fileStillThere: true });
    // The WAV, which callers take as "ready", started only once the video was in place, and
    // its aborted upload left no object.
    expect(sink.videoBeforeWav).toBe(true);
    expect(existsSync(join(outDir, keys.wav("tone-abort")))).toBe(false);
    expect(Date.now() - started).toBeLessThan(SLOW_UPLOAD_MS);
    expect(await readdir(workDir)).toEqual([]);
    expect(await sink.readText(keys.manifest("tone-abort"))).toBeNull();
  }, 30_000);
});

describe("S3Sink.put", () => {
  it("stops when its signal aborts, closes the body and leaves no object", async () => {
    const config = loadConfig({ ...s3.env, CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate, WORK_DIR: workDir });
    const sink = new S3Sink(s3Settings(config) as NonNullable<ReturnType<typeof s3Settings>>);
    const abort = new AbortController();
    let sent = 0;
    // A 10 MB body that comes slowly: 64 KiB every 20 ms, about 3 s in all.
    const body = Readable.from(
      (async function* () {
        for (let i = 0; i < 160; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          sent++;
          yield Buffer.alloc(65_536);
        }
      })(),
    );
    const put = sink.put("audio/aborted.wav", body, {
      contentType: "audio/wav",
      contentLength: 160 * 65_536,
      signal: abort.signal,
    });
    const outcome = put.then(
      () => null,
      (error: unknown) => error,
    );
    await vi.waitFor(() => expect(sent).toBeGreaterThan(3));
    abort.abort();
    expect(await outcome).toMatchObject({ code: "storage_failed" });
    expect(sent).toBeLessThan(160);
    expect(body.destroyed).toBe(true);
    expect(await sink.exists("audio/aborted.wav")).toBe(false);
    sink.close();
  });
});
