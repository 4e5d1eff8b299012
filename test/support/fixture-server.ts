/**
 * A stand-in for Twitch's clip pages and CDN (Twitch itself cannot be reached here): a local
 * HTTP server that offers each fixture clip the way a page offers a video, and logs every
 * request so tests can count downloads.
 *
 *   /clips/tone        HTML page with one <source> per rendition (yt-dlp chooses)
 *   /clips/noaudio     an MP4 without audio          /clips/corrupt  bytes that are no MP4
 *   /clips/indexlast   a QuickTime file whose index comes last (undecodable from a pipe)
 *   /clips/long        page (JSON-LD with duration) of tone bursts with silences
 *   /clips/missing     404
 *   /clips/flaky       503 the first time, then like tone
 * Only an id's first word counts: `tone-a` and `tone-b` are both the tone clip.
 *   /clips/slow        headers, then a trickle (for timeouts)
 *   /clips/paced       like tone, but its media arrive at PACED_BYTES_PER_SECOND (a job of a few
 *                      seconds, for following a job across Durable Object alarms)
 *   /media/<file>      the files themselves (HEAD and byte ranges supported)
 *   /__log             {"downloads": n}: media GETs so far, for tests running in workerd
 *   POST /hook         a completion-callback receiver; GET /__hooks lists what it received
 */
import { createReadStream, statSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { basename } from "node:path";
import { Transform } from "node:stream";
import { corruptClip, indexLastClip, noAudioClip, RENDITIONS, rendition, tonesWithSilences } from "./media.ts";

export interface FixtureServer {
  url: string;
  /** For CLIP_SOURCE_URL_TEMPLATE. */
  clipTemplate: string;
  /** Every request so far: method, path, body bytes sent. */
  requests: { method: string; path: string; bytes: number }[];
  /** Media files fetched (GET of /media/*), by file name. */
  downloads(): string[];
  /** Bytes of each file. */
  sizes: Record<string, number>;
  close(): Promise<void>;
}

export interface FixtureServerOptions {
  /** Serve /media/* at this rate (a stand-in for a real link; unlimited when absent). */
  mediaBytesPerSecond?: number;
  /** Where to listen: 127.0.0.1 unless a container must reach it (Docker's bridge gateway). */
  host?: string;
}

/** Passes bytes on no faster than `bytesPerSecond`. */
function throttle(bytesPerSecond: number): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      setTimeout(() => done(null, chunk), (chunk.length / bytesPerSecond) * 1000);
    },
  });
}

/** The smallest tone rendition (~320 KB) takes about 1.6 s at this rate (under the worker tests' 3 s download timeout). */
export const PACED_BYTES_PER_SECOND = 200_000;

export const LONG_CLIP = { segments: 14, toneSeconds: 24, gapSeconds: 1.5 } as const;

function sendFile(
  res: ServerResponse,
  path: string,
  range: string | undefined,
  method: string,
  contentType: string,
  bytesPerSecond?: number,
): number {
  const size = statSync(path).size;
  const match = /^bytes=(\d*)-(\d*)$/.exec(range ?? "");
  let start = 0;
  let end = size - 1;
  if (match && (match[1] || match[2])) {
    start = match[1] ? Number(match[1]) : size - Number(match[2]);
    end = match[1] && match[2] ? Math.min(Number(match[2]), size - 1) : size - 1;
    res.writeHead(206, {
      "Content-Type": contentType,
      "Content-Length": end - start + 1,
      "Content-Range": `bytes ${start}-${end}/${size}`,
      "Accept-Ranges": "bytes",
    });
  } else {
    res.writeHead(200, { "Content-Type": contentType, "Content-Length": size, "Accept-Ranges": "bytes" });
  }
  if (method === "HEAD") {
    res.end();
    return 0;
  }
  const file = createReadStream(path, { start, end });
  if (bytesPerSecond) file.pipe(throttle(bytesPerSecond)).pipe(res);
  else file.pipe(res);
  return end - start + 1;
}

export async function startFixtureServer(options: FixtureServerOptions = {}): Promise<FixtureServer> {
  const renditionFiles = await Promise.all(RENDITIONS.map(async (r) => ({ ...r, path: await rendition(r) })));
  const direct: Record<string, { path: string; type: string }> = {
    noaudio: { path: await noAudioClip(), type: "video/mp4" },
    corrupt: { path: corruptClip(), type: "video/mp4" },
    indexlast: { path: await indexLastClip(), type: "video/quicktime" },
  };
  const long = await tonesWithSilences(LONG_CLIP.segments, LONG_CLIP.toneSeconds, LONG_CLIP.gapSeconds);
  const files = new Map<string, { path: string; type: string }>();
  for (const r of renditionFiles) files.set(basename(r.path), { path: r.path, type: "video/mp4" });
  for (const d of Object.values(direct)) files.set(basename(d.path), d);
  files.set(basename(long), { path: long, type: "audio/mp4" });
  const sizes = Object.fromEntries([...files].map(([name, f]) => [name, statSync(f.path).size]));
  const requests: FixtureServer["requests"] = [];
  let url = "";
  const flaky = new Set<string>();
  const hooks: { body: string; headers: Record<string, unknown> }[] = [];

  const page = (id: string, mediaPrefix = "/media/") => `<!DOCTYPE html><html><head><title>Fixture clip ${id}</title>
<meta property="og:title" content="Fixture clip ${id}"></head><body><video controls>
${renditionFiles.map((r) => `<source src="${mediaPrefix}${basename(r.path)}" type="video/mp4" res="${r.size.split("x")[1]}" label="${r.name}">`).join("\n")}
</video></body></html>`;

  const server = createServer((req, res) => {
    const method = req.method ?? "GET";
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const record = { method, path, bytes: 0 };
    requests.push(record);
    if (path === "/hook" && method === "POST") {
      // A completion-callback receiver: keeps what arrived, with its signature headers.
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      req.on("end", () => {
        hooks.push({
          body,
          headers: {
            signature: req.headers["x-request-signature"],
            timestamp: req.headers["x-request-timestamp"],
            nonce: req.headers["x-request-nonce"],
          },
        });
        res.writeHead(204);
        res.end();
      });
      return;
    }
    if (path === "/__hooks") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify(hooks));
      return;
    }
    if (path === "/__log") {
      // For tests in other processes (workerd): how many media downloads happened so far.
      requests.pop();
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify({
          downloads: requests.filter((r) => r.method === "GET" && r.path.startsWith("/media/")).length,
        }),
      );
      return;
    }
    // A clip id's first word picks its fixture, so tests can use fresh ids (`tone-b`, `flaky-x`).
    const clipId = /^\/clips\/([^/]+)$/.exec(path)?.[1];
    const clip = clipId?.split("-")[0];
    if (clip === "flaky" && clipId && !flaky.has(clipId)) {
      // Fails once per id, then behaves: for retry tests.
      flaky.add(clipId);
      res.writeHead(503, { "Content-Type": "text/plain" });
      res.end("try again");
      return;
    }
    if (clip === "tone" || clip === "flaky" || clip === "paced") {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      res.end(clip === "paced" ? page(clip, "/media/paced/") : page(clip));
      return;
    }
    const paced = /^\/media\/paced\/([^/]+)$/.exec(path)?.[1];
    const pacedFile = paced ? files.get(paced) : undefined;
    if (pacedFile) {
      record.bytes = sendFile(res, pacedFile.path, req.headers.range, method, pacedFile.type, PACED_BYTES_PER_SECOND);
      return;
    }
    if (clip === "long") {
      // A page that states its duration (schema.org JSON-LD), as Twitch's metadata does.
      const seconds = LONG_CLIP.segments * (LONG_CLIP.toneSeconds + LONG_CLIP.gapSeconds);
      const ld = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        name: "Fixture clip long",
        duration: `PT${seconds}S`,
        contentUrl: `${url}/media/${basename(long)}`,
        uploadDate: "2026-11-01T10:00:00Z",
      };
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      res.end(
        `<!DOCTYPE html><html><head><title>long</title><script type="application/ld+json">${JSON.stringify(ld)}</script></head><body></body></html>`,
      );
      return;
    }
    if (clip === "slow") {
      res.writeHead(200, { "Content-Type": "video/mp4", "Content-Length": 10_000_000 });
      const timer = setInterval(() => res.write(Buffer.alloc(16)), 1000);
      res.on("close", () => clearInterval(timer));
      return;
    }
    const target = clip ? direct[clip] : files.get(path.replace(/^\/media\//, ""));
    if (!target || (!clip && !path.startsWith("/media/"))) {
      res.writeHead(404, { "Content-Type": "text/plain" });
      res.end("not found");
      return;
    }
    record.bytes = sendFile(res, target.path, req.headers.range, method, target.type, options.mediaBytesPerSecond);
  });
  const host = options.host ?? "127.0.0.1";
  server.listen(0, host);
  await new Promise((resolve) => server.once("listening", resolve));
  url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    clipTemplate: `${url}/clips/{id}`,
    requests,
    sizes,
    downloads: () =>
      requests.filter((r) => r.method === "GET" && r.path.startsWith("/media/")).map((r) => basename(r.path)),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
