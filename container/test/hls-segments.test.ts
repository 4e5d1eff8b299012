/**
 * HLS VODs fetched by Node segment by segment (container/src/hls/): a local server stands in for
 * Twitch's VOD CDN with an audio-only MPEG-TS playlist that ffmpeg makes here (a 440 Hz tone in
 * 2 s segments). Per scenario (the playlist's directory) some segments are refused as Twitch
 * refuses muted parts (403/404/410) or fail once (a dropped connection, a 503).
 */

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys } from "../../shared/keys.ts";
import { Manifest } from "../../shared/schemas.ts";
import { decodeWav, dominantFrequency, rms } from "../../test/support/audio.ts";
import { TONE_HZ } from "../../test/support/media.ts";
import { loadConfig } from "../src/config.ts";
import { startExtract } from "../src/ffmpeg.ts";
import { parsePlaylist } from "../src/hls/playlist.ts";
import { processClip } from "../src/pipeline.ts";
import { LocalSink } from "../src/sinks/local.ts";
import { startHls } from "../src/transfer.ts";

/** One AAC frame at 48 kHz: what a filled gap may differ by. */
const AAC_FRAME_S = 1024 / 48_000;
/** Per scenario, the segments the server refuses (with that status) or fails once. */
const REFUSED: Record<string, Record<string, number>> = {
  plain: {},
  mid: { "seg004.ts": 403 },
  // 20 s in 2 s segments are 11 (ffmpeg cuts at AAC frame boundaries): seg000 … seg010.
  edges: { "seg000.ts": 403, "seg009.ts": 410, "seg010.ts": 404 },
  flaky: {},
  fmp4: {},
  gone: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`seg${String(i).padStart(3, "0")}.ts`, 404])),
};
const FAIL_ONCE: Record<string, "drop" | 503> = { "seg003.ts": "drop", "seg005.ts": 503 };

let server: Server;
let base: string;
let dir: string;
let hlsDir: string;
const requests: string[] = [];
const failed = new Set<string>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hls-segments-"));
  hlsDir = join(dir, "hls");
  mkdirSync(hlsDir);
  // 20 s of tone (rms 0.088), audio only, AAC in MPEG-TS: 10 segments of ~2 s, as Twitch's audio_only.
  const hls = (out: string, type: "mpegts" | "fmp4") =>
    execFileSync("ffmpeg", [
      ...["-v", "error", "-f", "lavfi", "-i", `sine=f=${TONE_HZ}:r=48000:d=20`, "-ac", "2", "-c:a", "aac"],
      ...["-b:a", "128k", "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod", "-hls_segment_type", type],
      ...["-hls_segment_filename", join(out, type === "fmp4" ? "seg%03d.m4s" : "seg%03d.ts"), join(out, "index.m3u8")],
    ]);
  hls(hlsDir, "mpegts");
  // The fMP4 flavour: an init segment (EXT-X-MAP) before every media segment.
  mkdirSync(join(dir, "fmp4"));
  hls(join(dir, "fmp4"), "fmp4");
  server = createServer((req, res) => {
    const path = req.url ?? "/";
    requests.push(path);
    const match = /^\/vod\/(\w+)\/([\w.]+)$/.exec(path);
    const [, scenario = "", file = ""] = match ?? [];
    const files = scenario === "fmp4" ? join(dir, "fmp4") : hlsDir;
    const refused = REFUSED[scenario]?.[file];
    const once = scenario === "flaky" && !failed.has(file) ? FAIL_ONCE[file] : undefined;
    if (!match || !(scenario in REFUSED) || !readdirSync(files).includes(file)) {
      res.writeHead(404);
      return void res.end();
    }
    if (refused) {
      res.writeHead(refused);
      return void res.end();
    }
    if (once) {
      failed.add(file);
      if (once === "drop") return void res.socket?.destroy();
      res.writeHead(once);
      return void res.end();
    }
    res.writeHead(200);
    res.end(readFileSync(join(files, file)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

function config() {
  return loadConfig({
    CLIP_SOURCE_URL_TEMPLATE: `${base}/vod/{id}/index.m3u8`,
    WORK_DIR: join(dir, "work"),
    AUDIO_SAMPLE_RATE: "48000",
  });
}

async function processed(scenario: string) {
  const out = join(dir, "out");
  await processClip(scenario, { config: config(), sink: new LocalSink(out), force: true });
  const wavBytes = readFileSync(join(out, keys.wav(scenario)));
  const manifest = Manifest.parse(JSON.parse(readFileSync(join(out, keys.manifest(scenario)), "utf8")));
  return { wavBytes, wav: decodeWav(wavBytes), manifest };
}

/** Today's path for the same playlist: ffmpeg's HLS demuxer remuxing into the decoder. */
async function ffmpegPathWav(scenario: string): Promise<Buffer> {
  const limits = { timeoutMs: 60_000 };
  const url = `${base}/vod/${scenario}/index.m3u8`;
  const remux = startHls({ url, protocol: "m3u8_native", headers: {} }, limits);
  const wavPath = join(dir, `${scenario}-ffmpeg.wav`);
  const format = { sampleRate: 48_000, channels: 1 };
  const decode = startExtract("pipe:0", wavPath, join(dir, "ffmpeg-path.log"), format, limits);
  await Promise.all([pipeline(remux.stdout as Readable, decode.stdin as Writable), remux, decode]);
  return readFileSync(wavPath);
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const segmentStarts = () =>
  (() => {
    const parsed = parsePlaylist(readFileSync(join(hlsDir, "index.m3u8"), "utf8"), `${base}/vod/x/index.m3u8`);
    if ("unsupported" in parsed) throw new Error(parsed.unsupported);
    return parsed.playlist.segments;
  })();

/** The samples between two times (seconds), a little inside them (AAC's edges ring). */
function between(wav: ReturnType<typeof decodeWav>, from: number, to: number): Int16Array {
  const margin = 0.05;
  return wav.samples.subarray(Math.round((from + margin) * wav.sampleRate), Math.round((to - margin) * wav.sampleRate));
}

describe("an HLS VOD fetched by Node", () => {
  let plain: Awaited<ReturnType<typeof processed>>;
  beforeAll(async () => {
    plain = await processed("plain");
  }, 60_000);

  it("decodes to a WAV bit-identical to ffmpeg's HLS path, asking for every segment once", async () => {
    expect(plain.wav.sampleRate).toBe(48_000);
    expect(plain.wav.channels).toBe(1);
    expect(plain.wav.durationSeconds).toBeCloseTo(20, 1);
    expect(dominantFrequency(plain.wav.samples, plain.wav.sampleRate)).toBe(TONE_HZ);
    expect(plain.manifest.muted).toBeUndefined();
    const segments = requests.filter((path) => path.startsWith("/vod/plain/seg"));
    expect(new Set(segments).size).toBe(segmentStarts().length);
    expect(segments).toHaveLength(segmentStarts().length);
    expect(sha256(plain.wavBytes)).toBe(sha256(await ffmpegPathWav("plain")));
  }, 60_000);

  it("retries a segment that fails once (dropped connection, 503) and loses nothing", async () => {
    const flaky = await processed("flaky");
    expect(sha256(flaky.wavBytes)).toBe(sha256(plain.wavBytes));
    expect(requests.filter((path) => path === "/vod/flaky/seg003.ts")).toHaveLength(2);
    expect(requests.filter((path) => path === "/vod/flaky/seg005.ts")).toHaveLength(2);
  }, 60_000);

  it("turns a refused middle segment into silence of its length, and lists it as muted", async () => {
    const { wav, manifest } = await processed("mid");
    const muted = segmentStarts()[4];
    if (!muted) throw new Error("the playlist has no fifth segment");
    const end = muted.startSeconds + muted.seconds;
    expect(Math.abs(wav.durationSeconds - plain.wav.durationSeconds)).toBeLessThanOrEqual(AAC_FRAME_S);
    expect(manifest.muted).toEqual([{ start_s: round(muted.startSeconds), end_s: round(end) }]);
    expect(rms(between(wav, muted.startSeconds, end))).toBeLessThan(1e-4);
    for (const [from, to] of [
      [0, muted.startSeconds],
      [end, wav.durationSeconds],
    ] as const) {
      expect(dominantFrequency(between(wav, from, to), wav.sampleRate)).toBe(TONE_HZ);
      expect(rms(between(wav, from, to))).toBeGreaterThan(0.05);
    }
  }, 60_000);

  it("keeps the length when the first and last segments are refused (403, 410, 404)", async () => {
    const { wav, manifest } = await processed("edges");
    const segments = segmentStarts();
    const first = segments[0];
    const lastServed = segments[8];
    if (segments.length !== 11 || !first || !lastServed) throw new Error("the playlist is not 11 segments");
    const lead = first.seconds;
    const tail = lastServed.startSeconds + lastServed.seconds;
    expect(Math.abs(wav.durationSeconds - plain.wav.durationSeconds)).toBeLessThanOrEqual(2 * AAC_FRAME_S);
    expect(manifest.muted).toEqual([
      { start_s: 0, end_s: round(lead) },
      { start_s: round(tail), end_s: round(segments.reduce((sum, s) => sum + s.seconds, 0)) },
    ]);
    expect(rms(between(wav, 0, lead))).toBeLessThan(1e-4);
    expect(rms(between(wav, tail, wav.durationSeconds))).toBeLessThan(1e-4);
    expect(dominantFrequency(between(wav, lead, tail), wav.sampleRate)).toBe(TONE_HZ);
    expect(rms(between(wav, lead, tail))).toBeGreaterThan(0.05);
  }, 60_000);

  it("reads an fMP4 stream: its init segment (EXT-X-MAP) first, then the segments", async () => {
    const { wav } = await processed("fmp4");
    expect(requests.filter((path) => path === "/vod/fmp4/init.mp4")).toHaveLength(1);
    expect(Math.abs(wav.durationSeconds - plain.wav.durationSeconds)).toBeLessThanOrEqual(AAC_FRAME_S);
    expect(dominantFrequency(wav.samples, wav.sampleRate)).toBe(TONE_HZ);
    expect(rms(between(wav, 0.5, wav.durationSeconds - 0.5))).toBeGreaterThan(0.05);
  }, 60_000);

  it("fails with the refusal's code when every segment is refused", async () => {
    await expect(
      processClip("gone", { config: config(), sink: new LocalSink(join(dir, "out")), force: true }),
    ).rejects.toMatchObject({ code: "not_found" });
  }, 60_000);
});

const round = (seconds: number) => Math.round(seconds * 1e6) / 1e6;
