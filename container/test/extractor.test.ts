/**
 * The resident extractors (extractor.ts, extractor.py) with the installed yt-dlp: a worker
 * answers many requests, selects the format as the engine asks, and is replaced when it hangs,
 * dies or has served its share; what it reports keeps yt-dlp's error codes.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";
import { type FixtureServer, startFixtureServer } from "../../test/support/fixture-server.ts";
import { ExtractorPool } from "../src/extractor.ts";
import type { Source } from "../src/source.ts";
import { fetchSourceInfo } from "../src/ytdlp.ts";

let fixtures: FixtureServer;
/** Accepts connections and never answers: a source that hangs yt-dlp. Counts what it got. */
let silent: Server;
let silentUrl: string;
let silentRequests = 0;
const pools: ExtractorPool[] = [];

beforeAll(async () => {
  fixtures = await startFixtureServer();
  silent = createServer(() => {
    silentRequests++;
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/clips/hang`;
}, 120_000);

afterEach(() => {
  for (const pool of pools.splice(0)) pool.close();
});

afterAll(async () => {
  silent.closeAllConnections();
  await new Promise((resolve) => silent.close(resolve));
  await fixtures.close();
});

function pool(size = 1, limits?: ConstructorParameters<typeof ExtractorPool>[1]): ExtractorPool {
  const made = new ExtractorPool(size, limits);
  pools.push(made);
  return made;
}

function clip(id: string, url = fixtures.clipTemplate.replace("{id}", id)): Source {
  return { id, kind: "clip", url, range: null };
}

const limits = { timeoutMs: 20_000 };

it("serves request after request from one process and selects the smallest or the best rendition", async () => {
  const extractors = pool();
  const audio = await fetchSourceInfo(clip("tone"), limits, true, extractors);
  const [pid] = extractors.pids();
  const video = await fetchSourceInfo(clip("tone"), limits, false, extractors);
  expect(extractors.pids()).toEqual([pid]);
  expect(audio.formats).toHaveLength(1);
  expect(video.formats).toHaveLength(1);
  const sizes = fixtures.sizes;
  const file = (url: string) => url.split("/").pop() as string;
  const audioFile = file(audio.formats[0]?.url ?? "");
  const videoFile = file(video.formats[0]?.url ?? "");
  // The smallest landscape rendition for audio, the largest for the stored video.
  expect(sizes[audioFile]).toBeLessThan(sizes[videoFile] as number);
  expect(audioFile).not.toMatch(/portrait/);
  expect(audio.formats[0]?.headers["User-Agent"]).toBeTruthy();
}, 60_000);

it("replaces a worker that hangs: timeout for that job, a fresh process for the next", async () => {
  const extractors = pool();
  await fetchSourceInfo(clip("tone"), limits, true, extractors);
  const [first] = extractors.pids();
  const hung = fetchSourceInfo(clip("hang", silentUrl), { timeoutMs: 1_000 }, true, extractors);
  await expect(hung).rejects.toMatchObject({ code: "timeout" });
  const info = await fetchSourceInfo(clip("tone"), limits, true, extractors);
  expect(info.formats).toHaveLength(1);
  expect(extractors.pids()).not.toContain(first);
}, 60_000);

it("replaces a worker that died", async () => {
  const extractors = pool();
  await fetchSourceInfo(clip("tone"), limits, true, extractors);
  const [first] = extractors.pids() as [number];
  process.kill(first, "SIGKILL");
  // Gone (reaped), not merely signalled: signal 0 to its pid fails.
  await vi.waitFor(() => expect(() => process.kill(first, 0)).toThrow(), { timeout: 5_000, interval: 20 });
  const info = await fetchSourceInfo(clip("tone"), limits, true, extractors);
  expect(info.formats).toHaveLength(1);
  expect(extractors.pids()).not.toContain(first);
}, 60_000);

it("retires a worker after its share of requests (a leak cannot grow without end)", async () => {
  const extractors = pool(1, { maxRequests: 1 });
  await fetchSourceInfo(clip("tone"), limits, true, extractors);
  const [first] = extractors.pids();
  await fetchSourceInfo(clip("tone"), limits, true, extractors);
  expect(extractors.pids()).not.toContain(first);
}, 60_000);

it("cancels a running extraction and keeps serving", async () => {
  const extractors = pool();
  const abort = new AbortController();
  const before = silentRequests;
  const running = fetchSourceInfo(
    clip("hang", silentUrl),
    { timeoutMs: 20_000, signal: abort.signal },
    true,
    extractors,
  );
  running.catch(() => undefined); // awaited below; not unhandled while the test waits
  // Cancel while yt-dlp waits on the source that never answers.
  await vi.waitFor(() => expect(silentRequests).toBeGreaterThan(before), { timeout: 20_000, interval: 20 });
  abort.abort();
  await expect(running).rejects.toMatchObject({ code: "cancelled" });
  expect((await fetchSourceInfo(clip("tone"), limits, true, extractors)).formats).toHaveLength(1);
}, 60_000);

it("keeps yt-dlp's codes: a missing clip is not_found, a refused connection download_failed", async () => {
  // One worker, one YoutubeDL reused for these options: each request reports only its own output.
  const extractors = pool();
  await fetchSourceInfo(clip("tone"), limits, true, extractors);
  await expect(fetchSourceInfo(clip("missing"), limits, true, extractors)).rejects.toMatchObject({
    code: "not_found",
  });
  await expect(
    fetchSourceInfo(clip("x", "http://127.0.0.1:9/clips/x"), limits, true, extractors),
  ).rejects.toMatchObject({ code: "download_failed", retryable: true });
  expect((await fetchSourceInfo(clip("tone"), limits, true, extractors)).formats).toHaveLength(1);
  expect(extractors.pids()).toHaveLength(1);
}, 60_000);

it("runs at most `size` workers for more requests at once", async () => {
  const extractors = pool(2);
  const infos = await Promise.all(
    Array.from({ length: 5 }, () => fetchSourceInfo(clip("tone"), limits, true, extractors)),
  );
  expect(infos.every((info) => info.formats.length === 1)).toBe(true);
  expect(extractors.pids().length).toBeLessThanOrEqual(2);
}, 60_000);
