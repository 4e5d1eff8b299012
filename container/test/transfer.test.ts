/**
 * The media transfer without a second yt-dlp process: an HLS stream's segments and a progressive
 * file are fetched by Node with yt-dlp's headers (transfer.ts, hls/; hls-segments.test.ts has the
 * segment-level cases). A small HLS server made here (a
 * master playlist, one media playlist over the 360p tone rendition) stands in for Twitch's VOD
 * CDN; the installed yt-dlp extracts it in a resident worker.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { keys } from "../../shared/keys.ts";
import { decodeWav, dominantFrequency } from "../../test/support/audio.ts";
import { CLIP_SECONDS, RENDITIONS, rendition, TONE_HZ } from "../../test/support/media.ts";
import { loadConfig } from "../src/config.ts";
import { processClip } from "../src/pipeline.ts";
import { LocalSink } from "../src/sinks/local.ts";
import { classifyHlsFfmpeg } from "../src/transfer.ts";

let server: Server;
let base: string;
let dir: string;
const requests: { path: string; userAgent: string | undefined }[] = [];

beforeAll(async () => {
  const media = readFileSync(await rendition(RENDITIONS[2]));
  dir = await mkdtemp(join(tmpdir(), "transfer-"));
  server = createServer((req, res) => {
    const path = req.url ?? "/";
    requests.push({ path, userAgent: req.headers["user-agent"] });
    const playlist = (body: string) => {
      res.writeHead(200, { "content-type": "application/vnd.apple.mpegurl" });
      res.end(body);
    };
    if (/^\/hls\/(tone|gone)[\w-]*\.m3u8$/.test(path)) {
      const media = path.includes("gone") ? "/media/gone.m3u8" : "/media/tone.m3u8";
      return playlist(
        `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"\n${media}\n`,
      );
    }
    if (path === "/media/tone.m3u8" || path === "/media/gone.m3u8") {
      const segment = path === "/media/tone.m3u8" ? "/media/tone.mp4" : "/media/missing.mp4";
      return playlist(
        `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:${CLIP_SECONDS}\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:${CLIP_SECONDS}.000,\n${segment}\n#EXT-X-ENDLIST\n`,
      );
    }
    if (path === "/media/tone.mp4") {
      res.writeHead(200, { "content-type": "video/mp4", "content-length": media.length });
      return void res.end(media);
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

function config() {
  return loadConfig({ CLIP_SOURCE_URL_TEMPLATE: `${base}/hls/{id}.m3u8`, WORK_DIR: join(dir, "work") });
}

it("an HLS stream is fetched once with yt-dlp's headers and decoded to the tone", async () => {
  const before = requests.length;
  const result = await processClip("tone-hls", {
    config: config(),
    sink: new LocalSink(join(dir, "out")),
    force: true,
  });
  expect(result.duration_s).toBeCloseTo(CLIP_SECONDS, 0);
  const wav = decodeWav(readFileSync(join(dir, "out", keys.wav("tone-hls"))));
  expect(dominantFrequency(wav.samples, wav.sampleRate)).toBe(TONE_HZ);
  const segments = requests.slice(before).filter((r) => r.path === "/media/tone.mp4");
  expect(segments).toHaveLength(1);
  // The segment was asked for with the User-Agent yt-dlp chose, not ffmpeg's own (Lavf/…).
  expect(segments[0]?.userAgent).toMatch(/Mozilla/);
}, 60_000);

it("a segment the server does not have fails with yt-dlp's code for it (not_found)", async () => {
  await expect(
    processClip("gone-hls", { config: config(), sink: new LocalSink(join(dir, "out")), force: true }),
  ).rejects.toMatchObject({ code: "not_found" });
}, 60_000);

it("reads ffmpeg's HTTP failures in yt-dlp's words", () => {
  expect(classifyHlsFfmpeg("[https @ 0x1] HTTP error 403 Forbidden")).toMatchObject({ code: "unavailable" });
  expect(classifyHlsFfmpeg("Server returned 404 Not Found")).toMatchObject({ code: "not_found" });
  expect(classifyHlsFfmpeg("Connection to tcp://x:443 failed: Connection refused")).toMatchObject({
    code: "download_failed",
  });
});
