/**
 * Serves the demo clips (demo-clips.ts) as Twitch serves clips: a page per clip (`/<id>`, with
 * the schema.org JSON-LD yt-dlp reads: title, duration, video URL) and the video itself
 * (`/<id>.mp4`, HEAD and byte ranges).
 */
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DEMO_CLIPS, type DemoClip, type DemoTimeline, demoTimelinePath, demoVideoPath } from "./demo-clips.ts";

export interface DemoServer {
  /** For DEMO_SOURCE_URL. */
  url: string;
  close(): Promise<void>;
}

export interface DemoServerOptions {
  dir: string;
  /** 127.0.0.1 unless a container must reach it (Docker's bridge gateway). */
  host?: string;
  /** 0 picks a free one. */
  port: number;
  clips?: readonly DemoClip[];
}

/** A Twitch-like clip page: yt-dlp's generic extractor reads the JSON-LD (title, duration, video). */
function clipPage(clip: DemoClip, timeline: DemoTimeline | null, base: string): string {
  const ld = {
    "@context": "https://schema.org",
    "@type": "VideoObject",
    name: clip.title,
    ...(timeline ? { duration: `PT${timeline.duration_s.toFixed(3)}S` } : {}),
    contentUrl: `${base}/${clip.id}.mp4`,
    uploadDate: "2026-01-01T00:00:00Z",
    author: { "@type": "Person", name: "clip-audio demo" },
  };
  return `<!DOCTYPE html><html><head><title>${clip.title}</title><script type="application/ld+json">${JSON.stringify(ld)}</script></head><body></body></html>`;
}

function sendVideo(req: IncomingMessage, res: ServerResponse, path: string): void {
  const size = statSync(path).size;
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
  let start = 0;
  let end = size - 1;
  const headers: Record<string, string | number> = { "Content-Type": "video/mp4", "Accept-Ranges": "bytes" };
  if (range && (range[1] || range[2])) {
    start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
    end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (start > end) {
      res.writeHead(416, { "Content-Range": `bytes */${size}` }).end();
      return;
    }
    headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
  }
  res.writeHead(headers["Content-Range"] ? 206 : 200, { ...headers, "Content-Length": end - start + 1 });
  if (req.method === "HEAD") res.end();
  else createReadStream(path, { start, end }).pipe(res);
}

/**
 * Serves the demo clips in `dir`. A clip not made yet answers 503 (yt-dlp's error is retried),
 * so the server can start while the clips are still being made.
 */
export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const { dir } = options;
  const clips = new Map((options.clips ?? DEMO_CLIPS).map((clip) => [clip.id, clip]));
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://demo").pathname;
    const match = /^\/([A-Za-z0-9_-]+?)(\.mp4)?$/.exec(path);
    const clip = match ? clips.get(match[1] as string) : undefined;
    if (path === "/") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ demo_clips: [...clips.keys()] }));
      return;
    }
    if (!clip || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end(`no demo clip at ${path}`);
      return;
    }
    const video = demoVideoPath(dir, clip.id);
    if (!existsSync(video)) {
      res.writeHead(503, { "Content-Type": "text/plain", "Retry-After": "5" }).end("demo clip still being made");
      return;
    }
    if (match?.[2]) {
      sendVideo(req, res, video);
      return;
    }
    const timelinePath = demoTimelinePath(dir, clip.id);
    const timeline = existsSync(timelinePath) ? (JSON.parse(readFileSync(timelinePath, "utf8")) as DemoTimeline) : null;
    // The video's address as the caller reached this server (127.0.0.1, or Docker's gateway).
    const base = `http://${req.headers.host ?? `${options.host ?? "127.0.0.1"}:${options.port}`}`;
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(req.method === "HEAD" ? undefined : clipPage(clip, timeline, base));
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
