import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { s3Settings } from "../../shared/config.ts";
import type { JobEvent } from "../../shared/job.ts";
import { keys } from "../../shared/keys.ts";
import { Peaks } from "../../shared/schemas.ts";
import { decodeWav, dominantFrequency, rms } from "../../test/support/audio.ts";
import { engineBed } from "../../test/support/engine-bed.ts";
import { SPEECH_WAV } from "../../test/support/ffprobe.ts";
import { LONG_CLIP } from "../../test/support/fixture-server.ts";
import { CLIP_SECONDS, INDEX_LAST_SECONDS, TONE_HZ } from "../../test/support/media.ts";
import { type LocalS3, startS3 } from "../../test/support/s3.ts";
import { processClip } from "../src/pipeline.ts";
import { LocalSink } from "../src/sinks/local.ts";
import { S3Sink } from "../src/sinks/s3.ts";

const bed = engineBed();
let smallestRenditionAudio: Int16Array | null = null;

const config = (overrides: Record<string, string> = {}) => bed.config(overrides);

/**
 * How alike `b` is to `a` shifted by `lag` samples, in dB: signal over what is left of `b`
 * after subtracting the best-scaled copy of `a` (renditions may differ in level as well).
 */
function alignedSnrDb(a: Int16Array, b: Int16Array, lag: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = Math.max(0, -lag); i < b.length && i + lag < a.length; i++) {
    const x = b[i] as number;
    const y = a[i + lag] as number;
    ab += x * y;
    aa += y * y;
    bb += x * x;
  }
  const residual = Math.max(1, bb - (ab * ab) / Math.max(1, aa));
  return 10 * Math.log10(bb / residual);
}

const wavOf = (id: string) => decodeWav(readFileSync(join(bed.outDir, keys.wav(id))));

describe("processClip into a local folder", () => {
  it("downloads only the smallest landscape rendition and keeps the 440 Hz tone", async () => {
    const before = bed.fixtures.downloads().length;
    const events: JobEvent[] = [];
    const result = await processClip("tone", {
      config: config(),
      sink: new LocalSink(bed.outDir),
      storeVideo: false,
      force: true,
      onEvent: (e) => events.push(e),
    });
    expect(bed.fixtures.downloads().slice(before)).toEqual(["tone_360.mp4"]);
    expect(result.skipped).toBe(false);
    expect(result.files_uploaded).toEqual([keys.wav("tone"), keys.peaks("tone"), keys.manifest("tone")]);
    const wav = wavOf("tone");
    // The console's waveform: one [min, max] pair per run of samples, covering the whole clip.
    const peaks = Peaks.parse(JSON.parse(readFileSync(join(bed.outDir, keys.peaks("tone")), "utf8")));
    expect(peaks.samples_per_peak * peaks.length).toBeGreaterThanOrEqual(wav.samples.length);
    expect(Math.max(...peaks.data)).toBeGreaterThan(10);
    // Read by ffprobe and ffmpeg, not by the engine's own WAV parser.
    expect(wav).toMatchObject(SPEECH_WAV);
    expect(Math.abs(wav.durationSeconds - CLIP_SECONDS)).toBeLessThan(0.05);
    expect(wav.headerDurationSeconds).toBeCloseTo(wav.durationSeconds, 3);
    expect(dominantFrequency(wav.samples, wav.sampleRate)).toBe(TONE_HZ);
    expect(events.map((e) => e.type)).toContain("state");
    smallestRenditionAudio = wav.samples;
    expect(readdirSync(bed.workDir)).toEqual([]);
  });

  it("stores the best video once and derives the same audio from it", async () => {
    const before = bed.fixtures.downloads().length;
    const result = await processClip("tone", {
      config: config(),
      sink: new LocalSink(bed.outDir),
      storeVideo: true,
      force: true,
    });
    expect(bed.fixtures.downloads().slice(before)).toEqual(["tone_1080.mp4"]);
    expect(result.manifest.video_key).toBe(keys.video("tone"));
    expect(readFileSync(join(bed.outDir, keys.video("tone"))).length).toBe(bed.fixtures.sizes["tone_1080.mp4"]);
    const wav = wavOf("tone");
    expect(Math.abs(wav.durationSeconds - CLIP_SECONDS)).toBeLessThan(0.05);
    expect(dominantFrequency(wav.samples, wav.sampleRate)).toBe(TONE_HZ);
    // The 360p (96 kbit/s mono AAC) and 1080p (160 kbit/s stereo AAC) tracks give the same
    // speech: lengths within one AAC frame, and what differs at least 25 dB below the signal.
    const small = smallestRenditionAudio as Int16Array;
    expect(Math.abs(small.length - wav.samples.length)).toBeLessThanOrEqual(Math.ceil((1024 / 48000) * 16000));
    // AAC encoders add different priming delays: compare at the best alignment within ±64 ms.
    const snrDb = Math.max(...Array.from({ length: 2049 }, (_, k) => alignedSnrDb(small, wav.samples, k - 1024)));
    // Measured: 30.7 dB (the two encodings differ in level and priming delay, not in content).
    expect(snrDb).toBeGreaterThan(25);
  });

  it("writes a manifest whose fields and sha256 match the WAV, and skips next time", async () => {
    await processClip("tone", { config: config(), sink: new LocalSink(bed.outDir), storeVideo: false, force: true });
    const manifest = JSON.parse(readFileSync(join(bed.outDir, keys.manifest("tone")), "utf8"));
    const bytes = readFileSync(join(bed.outDir, keys.wav("tone")));
    expect(manifest.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(manifest).toMatchObject({
      clip_id: "tone",
      sample_rate: 16000,
      channels: 1,
      bytes: bytes.length,
      chunks: [],
      video_key: null,
    });
    // The source metadata lives in the manifest: clips/{id}.json is the caller's.
    const metadata = manifest.source_metadata;
    expect(metadata).toMatchObject({ clip_id: "tone", url: bed.fixtures.clipTemplate.replace("{id}", "tone") });
    expect(metadata.title).toMatch(/^Fixture clip tone/);
    expect(existsSync(join(bed.outDir, keys.callerRecord("tone")))).toBe(false);
    const before = bed.fixtures.requests.length;
    const again = await processClip("tone", { config: config(), sink: new LocalSink(bed.outDir) });
    expect(again.skipped).toBe(true);
    expect(bed.fixtures.requests.length).toBe(before);
  });

  it("believes a caller that saw no manifest just before (knownNew): no second look, the clip runs", async () => {
    const options = { config: config(), sink: new LocalSink(bed.outDir), storeVideo: false };
    await processClip("tone-known", { ...options, force: true });
    const before = bed.fixtures.downloads().length;
    const told = await processClip("tone-known", { ...options, knownNew: true });
    expect(told.skipped).toBe(false);
    expect(bed.fixtures.downloads().slice(before)).toEqual(["tone_360.mp4"]);
    expect(dominantFrequency(wavOf("tone-known").samples, 16000)).toBe(TONE_HZ);
  }, 30_000);

  it("decodes a file whose index comes last from the saved download, still downloading once", async () => {
    const before = bed.fixtures.requests.length;
    const result = await processClip("indexlast", {
      config: config(),
      sink: new LocalSink(bed.outDir),
      storeVideo: false,
      force: true,
    });
    // yt-dlp's generic extractor opens the URL once to look at it, then downloads it once.
    expect(bed.fixtures.requests.slice(before).filter((r) => r.path === "/clips/indexlast")).toHaveLength(2);
    const wav = wavOf("indexlast");
    expect(wav).toMatchObject(SPEECH_WAV);
    expect(Math.abs(wav.durationSeconds - INDEX_LAST_SECONDS)).toBeLessThan(0.03);
    expect(result.duration_s).toBeCloseTo(wav.durationSeconds, 3);
    expect(dominantFrequency(wav.samples.subarray(16_000, 32_000), 16_000)).toBe(TONE_HZ);
    expect(readdirSync(bed.workDir)).toEqual([]);
  });

  it("cuts long audio into sample-exact chunks that end in silences", async () => {
    const result = await processClip("long", {
      config: config({ MAX_CLIP_DURATION: "60", CHUNK_SECONDS: "30" }),
      sink: new LocalSink(bed.outDir),
      force: true,
    });
    const whole = wavOf("long");
    const period = LONG_CLIP.toneSeconds + LONG_CLIP.gapSeconds;
    expect(Math.abs(whole.durationSeconds - LONG_CLIP.segments * period)).toBeLessThan(0.05);
    expect(result.needs_chunking).toBe(true);
    const chunks = result.manifest.chunks.map((c) => decodeWav(readFileSync(join(bed.outDir, c.key))));
    expect(chunks.length).toBeGreaterThanOrEqual(LONG_CLIP.segments);
    // Concatenated, the chunks are the whole, sample for sample.
    const joined = Buffer.concat(chunks.map((c) => Buffer.from(c.samples.buffer)));
    expect(joined.equals(Buffer.from(whole.samples.buffer))).toBe(true);
    for (const [i, entry] of result.manifest.chunks.entries()) {
      const chunk = chunks[i] as (typeof chunks)[number];
      // Each chunk's header is the engine's own (wavHeader): ffprobe must read it as the same format.
      expect(chunk).toMatchObject(SPEECH_WAV);
      expect(chunk.headerDurationSeconds).toBeCloseTo(chunk.durationSeconds, 3);
      expect(chunk.durationSeconds).toBeLessThanOrEqual(30);
      expect(entry.duration_s).toBeCloseTo(chunk.durationSeconds, 6);
      if (i === chunks.length - 1) continue;
      // The boundary lies inside a silence: the 50 ms either side of it are quiet.
      const at = Math.round((entry.start_s + entry.duration_s) * whole.sampleRate);
      const around = whole.samples.subarray(at - 800, at + 800);
      expect(rms(around)).toBeLessThan(0.01);
      const offset = (entry.start_s + entry.duration_s) % period;
      expect(offset).toBeGreaterThan(LONG_CLIP.toneSeconds - 0.01);
    }
    // Asked again, the clip is skipped and still needs chunking: its manifest lists chunks,
    // whatever the settings say now (a limit above the clip's length would not have cut it).
    const again = await processClip("long", {
      config: config({ MAX_CLIP_DURATION: "3600" }),
      sink: new LocalSink(bed.outDir),
    });
    expect(again).toMatchObject({ skipped: true, needs_chunking: true, duration_s: result.duration_s });
    // ffprobe reads each of a dozen chunks: a process each.
  }, 30_000);
});

describe("errors", () => {
  const attempt = (id: string, overrides: Record<string, string> = {}) =>
    processClip(id, { config: config(overrides), sink: new LocalSink(bed.outDir), force: true }).then(
      () => null,
      (error: { code: string; message: string }) => error,
    );

  it.each([
    ["missing", "not_found"],
    ["noaudio", "extract_failed"],
    ["corrupt", "extract_failed"],
    ["bad@id", "invalid_id"],
  ])("%s fails with %s and leaves no manifest or temp files", async (id, code) => {
    const error = await attempt(id);
    expect(error?.code).toBe(code);
    expect(error?.message).not.toMatch(/127\.0\.0\.1/);
    expect(readdirSync(bed.workDir)).toEqual([]);
    expect(() => readFileSync(join(bed.outDir, keys.manifest(id)))).toThrow();
  });

  it("names the missing audio stream", async () => {
    expect((await attempt("noaudio"))?.message).toBe("The source has no audio stream");
  });

  it("times out on a source that stalls", async () => {
    const error = await attempt("slow", { DOWNLOAD_TIMEOUT_SECONDS: "2" });
    expect(error?.code).toBe("timeout");
    expect(readdirSync(bed.workDir)).toEqual([]);
  }, 30_000);

  it("refuses a source longer than MAX_SOURCE_DURATION before downloading", async () => {
    const before = bed.fixtures.requests.length;
    const error = await attempt("long", { MAX_SOURCE_DURATION: "60" });
    expect(error?.code).toBe("too_long");
    expect(error?.message).toMatch(/^The source is 357 s long; the limit is 60 s/);
    // yt-dlp's generic extractor opens the media URL once while reading the page (a normal run
    // opens it twice: that probe, then the download); refused sources stop after the probe.
    const media = bed.fixtures.requests.slice(before).filter((r) => r.path.startsWith("/media/"));
    expect(media).toHaveLength(1);
  });

  it("reports cancellation", async () => {
    const abort = new AbortController();
    const before = bed.fixtures.requests.length;
    const running = processClip("slow", {
      config: config(),
      sink: new LocalSink(bed.outDir),
      force: true,
      signal: abort.signal,
    });
    running.catch(() => undefined); // awaited below; not unhandled while the test waits
    // Cancel mid-download: once yt-dlp is fetching the stalled source (which never ends by itself).
    await vi.waitFor(
      () => expect(bed.fixtures.requests.slice(before).filter((r) => r.path === "/clips/slow").length).toBe(2),
      { timeout: 20_000, interval: 50 },
    );
    abort.abort();
    await expect(running).rejects.toMatchObject({ code: "cancelled" });
    expect(readdirSync(bed.workDir)).toEqual([]);
  }, 30_000);
});

describe("processClip into S3 (s3rver, a test double of S3)", () => {
  let s3: LocalS3;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => s3.close());

  it("uploads the layout with content types and the original's WAV metadata, manifest last", async () => {
    const cfg = config({ ...s3.env });
    const settings = s3Settings(cfg);
    if (!settings) throw new Error("no S3 settings");
    const sink = new S3Sink(settings);
    const result = await processClip("tone", { config: cfg, sink, storeVideo: false, force: true });
    const manifest = JSON.parse((await sink.readText(keys.manifest("tone"))) ?? "{}");
    expect(manifest.files).toEqual(result.files_uploaded);
    const head = await fetch(`${s3.endpoint}/clip-recap-pipeline/${keys.wav("tone")}`, { method: "HEAD" });
    expect(head.headers.get("content-type")).toBe("audio/wav");
    expect(head.headers.get("x-amz-meta-status")).toBe("ready_for_asr");
    expect(head.headers.get("x-amz-meta-sample_rate")).toBe("16000");
    // The object is the WAV itself, byte for byte (no transfer framing stored with it).
    const object = Buffer.from(
      await (await fetch(`${s3.endpoint}/clip-recap-pipeline/${keys.wav("tone")}`)).arrayBuffer(),
    );
    expect(createHash("sha256").update(object).digest("hex")).toBe(manifest.sha256);
    const wav = decodeWav(object);
    expect(wav).toMatchObject(SPEECH_WAV);
    expect(dominantFrequency(wav.samples, wav.sampleRate)).toBe(TONE_HZ);
    sink.close();
  });

  it("fails with storage_failed when the bucket is down, writing no manifest", async () => {
    const cfg = config({ ...s3.env, S3_ENDPOINT: "http://127.0.0.1:9" });
    const sink = new S3Sink(s3Settings(cfg) as NonNullable<ReturnType<typeof s3Settings>>);
    await expect(processClip("tone", { config: cfg, sink, storeVideo: false, force: true })).rejects.toMatchObject({
      code: "storage_failed",
    });
    expect(readdirSync(bed.workDir)).toEqual([]);
    sink.close();
  });
});
