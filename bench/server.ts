/**
 * The fixture "Twitch": an HTTP server on 127.0.0.1 (or the address given: Docker's bridge gateway
 * when the engine runs in a container) that serves one clip in several renditions,
 * the way Twitch offers a clip — several progressive MP4 files of the same clip — so yt-dlp has
 * to choose between formats.
 *
 *   GET /{length}/clips/{id}   an HTML page with one <video> and a <source> per rendition
 *                              (yt-dlp's generic extractor turns each <source> into a format with
 *                              height and tbr, from the `res` and `label` attributes)
 *   GET /{length}/clips/{id}.m3u8   the same renditions as an HLS master playlist (not used by
 *                              the default benchmark: Twitch clips are progressive MP4, not HLS)
 *   GET /media/{file}.mp4      the rendition itself (HEAD and single byte ranges supported)
 *   GET /vod/{id}/index.m3u8   the 60-minute audio-only HLS VOD (bench/vod-fixture.ts), any id,
 *   GET /vod/{id}/seg{n}.ts    and its 2 s segments
 *
 * Every response body goes through one token bucket per server: a simulated link of fixed
 * speed shared by all connections, and every response waits one round trip (`rttMs`) before its
 * headers, as a request to a real CDN does (a new connection's handshake is not added). The
 * server counts bytes sent and logs each request, so the benchmark knows exactly what each
 * pipeline downloaded.
 */
import { createReadStream, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Fixtures, LengthName } from "./fixtures.ts";
import { LENGTHS, mediaName, RENDITIONS } from "./fixtures.ts";
import { TokenBucket } from "./shaper.ts";
import type { VodFixture } from "./vod-fixture.ts";

/** Size of each write: 64 KiB is 10 ms at 50 Mbit/s and 2.6 ms at 200 Mbit/s. */
const WRITE_BYTES = 64 * 1024;

export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  bytes: number;
  startMs: number;
  endMs: number;
}

export interface FixtureServer {
  url: string;
  /** The address yt-dlp is given for a clip id, for CLIP_SOURCE_URL_TEMPLATE. */
  template(length: LengthName | "auto", offer?: "html" | "hls"): string;
  /** Sets the link speed (null: unshaped) and round trip. Applies to responses started afterwards. */
  setLink(bitsPerSecond: number | null, rttMs?: number): void;
  /** Body bytes sent since the last reset, and the requests that sent them. */
  counters(): { bytes: number; requests: RequestRecord[] };
  resetCounters(): void;
  close(): Promise<void>;
}

function clipPage(id: string, length: LengthName, fixtures: Fixtures): string {
  const sources = RENDITIONS.map((r) => {
    const file = fixtures.media.find((m) => m.length === length && m.rendition === r.id);
    const kbps = file?.kbps ?? 0;
    return `<source src="/media/${mediaName(length, r.id)}" type="video/mp4" res="${r.height}" width="${r.width}" label="${r.id} ${kbps}kbps">`;
  }).join("\n    ");
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Bench clip ${id}</title>
<meta property="og:title" content="Bench clip ${id}">
</head><body>
  <video controls>
    ${sources}
  </video>
</body></html>
`;
}

function masterPlaylist(length: LengthName, fixtures: Fixtures): string {
  const lines = ["#EXTM3U", "#EXT-X-VERSION:3"];
  for (const r of RENDITIONS) {
    const file = fixtures.media.find((m) => m.length === length && m.rendition === r.id);
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${(file?.kbps ?? 0) * 1000},RESOLUTION=${r.width}x${r.height},FRAME-RATE=${r.fps},CODECS="avc1.64002a,mp4a.40.2",NAME="${r.id}"`,
      `/media/${mediaName(length, r.id)}.m3u8`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The first segments of a VOD's playlist, ended. */
function shortPlaylist(playlist: Buffer, segments = 5): Buffer {
  const lines = playlist.toString().split("\n");
  const cut = lines.findIndex((line, i) => i > 0 && /^seg\d+\.ts$/.test(line) && --segments === 0);
  return Buffer.from(`${lines.slice(0, cut + 1).join("\n")}\n#EXT-X-ENDLIST\n`);
}

/** A one-segment media playlist over the whole progressive file. */
function mediaPlaylist(seconds: number, name: string): string {
  return `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:${Math.ceil(seconds)}\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:${seconds.toFixed(3)},\n/media/${name}\n#EXT-X-ENDLIST\n`;
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | "invalid" {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return "invalid";
  const [, a = "", b = ""] = match;
  let start: number;
  let end: number;
  if (a === "") {
    if (b === "") return "invalid";
    start = Math.max(0, size - Number(b));
    end = size - 1;
  } else {
    start = Number(a);
    end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start > end || start >= size) return "invalid";
  return { start, end };
}

export async function startFixtureServer(
  fixtures: Fixtures,
  vod?: VodFixture,
  host = "127.0.0.1",
): Promise<FixtureServer> {
  let bucket: TokenBucket | null = null;
  let rtt = 0;
  let bytes = 0;
  let requests: RequestRecord[] = [];

  async function send(res: ServerResponse, chunk: Buffer, link: TokenBucket | null): Promise<boolean> {
    for (let offset = 0; offset < chunk.length; offset += WRITE_BYTES) {
      const piece = chunk.subarray(offset, offset + WRITE_BYTES);
      if (link) await link.take(piece.length);
      if (res.destroyed) return false;
      bytes += piece.length;
      if (!res.write(piece)) {
        await new Promise<void>((done) => {
          const finish = () => {
            res.off("drain", finish);
            res.off("close", finish);
            done();
          };
          res.on("drain", finish);
          res.on("close", finish);
        });
      }
    }
    return !res.destroyed;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, record: RequestRecord): Promise<void> {
    const link = bucket;
    if (rtt > 0) await sleep(rtt);
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const text = async (status: number, type: string, body: string): Promise<void> => {
      const buffer = Buffer.from(body);
      record.status = status;
      res.writeHead(status, { "content-type": type, "content-length": buffer.length });
      if (req.method !== "HEAD") await send(res, buffer, link);
      res.end();
    };

    // `/auto/clips/<id>`: the length is the id's first word (`long_…` or `clip_…`), so one
    // CLIP_SOURCE_URL_TEMPLATE serves both lengths to a long-lived service.
    const page = /^\/(clip|long|auto)\/clips\/([A-Za-z0-9_-]+)(\.m3u8)?$/.exec(path);
    if (page) {
      const length = (page[1] === "auto" ? (page[2]?.startsWith("long_") ? "long" : "clip") : page[1]) as LengthName;
      const id = page[2] as string;
      if (page[3]) return text(200, "application/vnd.apple.mpegurl", masterPlaylist(length, fixtures));
      return text(200, "text/html; charset=utf-8", clipPage(id, length, fixtures));
    }
    const playlist = /^\/media\/([a-z0-9]+-[a-z0-9]+\.mp4)\.m3u8$/.exec(path);
    if (playlist) {
      const file = fixtures.media.find((m) => mediaName(m.length, m.rendition) === playlist[1]);
      if (file) return text(200, "application/vnd.apple.mpegurl", mediaPlaylist(file.seconds, playlist[1] as string));
    }
    const vodPath = vod && /^\/vod\/([\w-]+)\/(index\.m3u8|seg\d+\.ts)$/.exec(path);
    const vodFile = vodPath?.[2];
    if (vod && vodFile) {
      const file = await readFile(join(vod.dir, vodFile)).catch(() => null);
      // `warm…` ids get the first 5 segments: a short VOD that warms a service up.
      const body = file && vodPath[1]?.startsWith("warm") && vodFile === vod.playlist ? shortPlaylist(file) : file;
      if (!body) return text(404, "text/plain", "not found\n");
      record.status = 200;
      res.writeHead(200, {
        "content-type": vodFile.endsWith(".ts") ? "video/mp2t" : "application/vnd.apple.mpegurl",
        "content-length": body.length,
      });
      await send(res, body, link);
      return void res.end();
    }
    const media = /^\/media\/([a-z0-9]+-[a-z0-9]+\.mp4)$/.exec(path);
    const file = media && fixtures.media.find((m) => mediaName(m.length, m.rendition) === media[1]);
    if (!file) return text(404, "text/plain", "not found\n");

    const size = statSync(file.path).size;
    const range = parseRange(req.headers.range, size);
    if (range === "invalid") {
      record.status = 416;
      res.writeHead(416, { "content-range": `bytes */${size}` });
      return void res.end();
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    record.status = range ? 206 : 200;
    res.writeHead(record.status, {
      "content-type": "video/mp4",
      "content-length": end - start + 1,
      "accept-ranges": "bytes",
      "last-modified": new Date(0).toUTCString(),
      ...(range ? { "content-range": `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === "HEAD") return void res.end();
    const stream = createReadStream(file.path, { start, end, highWaterMark: WRITE_BYTES });
    res.on("close", () => stream.destroy());
    for await (const chunk of stream) {
      if (!(await send(res, chunk as Buffer, link))) break;
    }
    res.end();
  }

  const server: Server = createServer((req, res) => {
    const record: RequestRecord = {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      status: 0,
      bytes: 0,
      startMs: performance.now(),
      endMs: 0,
    };
    requests.push(record);
    const before = bytes;
    res.on("close", () => {
      record.endMs = performance.now();
      record.bytes = bytes - before;
    });
    handle(req, res, record).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((done) => server.listen(0, host, done));
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;

  return {
    url,
    template: (length, offer = "html") => `${url}/${length}/clips/{id}${offer === "hls" ? ".m3u8" : ""}`,
    setLink(bitsPerSecond, rttMs = 0) {
      bucket = bitsPerSecond ? new TokenBucket({ bitsPerSecond }) : null;
      rtt = rttMs;
    },
    counters: () => ({ bytes, requests: [...requests] }),
    resetCounters() {
      bytes = 0;
      requests = [];
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

export { LENGTHS };
