/**
 * What Node's own transfer of a progressive file (fetchMedia) guarantees, whichever HTTP client
 * does it: yt-dlp's headers are sent, redirects are followed, the body streams (the first bytes
 * arrive while the source still sends), and every failure becomes the engine's error in yt-dlp's
 * words: HTTP status, refused, reset mid-body, whole-transfer timeout, cancel. And a source
 * that ends its response by closing the connection while the body waits unread gets the whole
 * body, instead of an uncaught AssertionError that ends the process (nodejs/undici#5360).
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { type AddressInfo, createServer as createTcpServer } from "node:net";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClipAudioError } from "../../shared/errors.ts";
import { fetchMedia, transferError } from "../src/transfer.ts";
import type { ChosenFormat } from "../src/ytdlp.ts";

const BODY = Buffer.alloc(1024 * 1024, 7);
const HEADERS = { "User-Agent": "Mozilla/5.0 (clip-audio test)", Referer: "https://example.test/page" };
const LIMITS = { timeoutMs: 10_000 };

let server: Server;
let base: string;
const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
/** Pending responses of /held, released by the test. */
const held: (() => void)[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? "/";
    seen.push({ path, headers: req.headers });
    if (path === "/moved") {
      res.writeHead(302, { location: "/media" });
      return void res.end();
    }
    if (path === "/media") {
      res.writeHead(200, { "content-type": "video/mp4", "content-length": BODY.length });
      return void res.end(BODY);
    }
    if (path === "/gone" || path === "/busy") {
      res.writeHead(path === "/gone" ? 404 : 503);
      return void res.end();
    }
    if (path === "/reset") {
      // Half the body, then the connection breaks.
      res.writeHead(200, { "content-length": BODY.length });
      res.write(BODY.subarray(0, BODY.length / 2), () => setTimeout(() => req.socket.destroy(), 50));
      return;
    }
    if (path === "/held") {
      // The first 64 KB, then nothing until the test says so (or the client goes away).
      res.writeHead(200, { "content-length": BODY.length });
      res.write(BODY.subarray(0, 65_536));
      held.push(() => res.end(BODY.subarray(65_536)));
      return;
    }
    res.writeHead(500);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const format = (path: string, url = `${base}${path}`): ChosenFormat => ({ url, protocol: "http", headers: HEADERS });

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** The engine's error for a transfer that fails to open or while its body streams. */
async function failure(path: string, limits: { timeoutMs: number; signal?: AbortSignal } = LIMITS) {
  try {
    await readAll(await fetchMedia(format(path), limits));
  } catch (error) {
    return transferError(error, limits);
  }
  throw new Error(`${path} did not fail`);
}

describe("fetchMedia", () => {
  it("follows a redirect with yt-dlp's headers and streams the whole file", async () => {
    const before = seen.length;
    expect((await readAll(await fetchMedia(format("/moved"), LIMITS))).equals(BODY)).toBe(true);
    const asked = seen.slice(before);
    expect(asked.map((r) => r.path)).toEqual(["/moved", "/media"]);
    for (const request of asked) {
      expect(request.headers["user-agent"]).toBe(HEADERS["User-Agent"]);
      expect(request.headers.referer).toBe(HEADERS.Referer);
    }
  });

  it("hands over the first bytes while the source is still sending", async () => {
    const stream = await fetchMedia(format("/held"), LIMITS);
    const first = (await stream[Symbol.asyncIterator]().next()).value as Uint8Array;
    expect(first.byteLength).toBeGreaterThan(0);
    held.shift()?.();
    stream.destroy();
  });

  it.each([
    ["/gone", "not_found"],
    ["/busy", "download_failed"],
  ])("turns the HTTP status of %s into %s", async (path, code) => {
    expect(await failure(path)).toMatchObject({ code });
  });

  it("says a refused connection in yt-dlp's words", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const limits = LIMITS;
    const error = await fetchMedia(format("/", `http://127.0.0.1:${port}/`), limits).then(
      () => null,
      (e: unknown) => transferError(e, limits),
    );
    expect(error).toBeInstanceOf(ClipAudioError);
    expect(error).toMatchObject({ code: "download_failed", message: expect.stringMatching(/refused/) });
  });

  it("says a connection reset mid-body in yt-dlp's words", async () => {
    expect(await failure("/reset")).toMatchObject({ code: "download_failed", message: expect.stringMatching(/reset/) });
  });

  it("times the whole transfer out, even while bytes have started to flow", async () => {
    expect(await failure("/held", { timeoutMs: 1_000 })).toMatchObject({
      code: "timeout",
      message: "Downloading the media timed out after 1 s",
    });
  });

  it("stops on cancel mid-body", async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);
    expect(await failure("/held", { timeoutMs: 10_000, signal: abort.signal })).toMatchObject({ code: "cancelled" });
  });

  // The smallest form of nodejs/undici#5360, deterministic: 64 KB and the close arrive while
  // nothing reads the body, so backpressure has paused the parser when the socket ends. Node 22's
  // bundled undici throws from the socket's `end` handler there: this file's process would die.
  it.each([
    ["HTTP/1.1 with Connection: close", `HTTP/1.1 200 OK\r\nContent-Length: 65536\r\nConnection: close\r\n\r\n`],
    ["HTTP/1.0 without Content-Length", "HTTP/1.0 200 OK\r\n\r\n"],
  ])("gets the whole body a source closes after while it waits unread (%s)", async (_, head) => {
    const body = Buffer.alloc(65_536, 3);
    const source = createTcpServer((socket) =>
      socket.once("data", () => socket.end(Buffer.concat([Buffer.from(head), body]))),
    );
    await new Promise<void>((resolve) => source.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = source.address() as AddressInfo;
      const stream = await fetchMedia(format("/", `http://127.0.0.1:${port}/`), LIMITS);
      await sleep(200);
      expect((await readAll(stream)).equals(body)).toBe(true);
    } finally {
      await new Promise((resolve) => source.close(resolve));
    }
  });
});
