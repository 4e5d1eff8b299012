import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Fixtures, MediaFile } from "./fixtures.ts";
import { RENDITIONS } from "./fixtures.ts";
import { type FixtureServer, startFixtureServer } from "./server.ts";

// Stand-in files (no ffmpeg needed): the server only streams bytes.
const dir = mkdtempSync(join(tmpdir(), "bench-server-test-"));
const SIZE = 1_000_000;
const media: MediaFile[] = RENDITIONS.map((r, i) => {
  const path = join(dir, `clip-${r.id}.mp4`);
  writeFileSync(path, Buffer.alloc(SIZE / (i + 1), i));
  return {
    rendition: r.id,
    height: r.height,
    fps: r.fps,
    length: "clip",
    seconds: 60,
    path,
    bytes: SIZE / (i + 1),
    kbps: 100,
  };
});
const fixtures: Fixtures = { dir, audioLoop: "", media, generatedSeconds: 0 };

// A stand-in VOD: a playlist and one segment.
const vodDir = join(dir, "vod");
mkdirSync(vodDir);
writeFileSync(join(vodDir, "index.m3u8"), "#EXTM3U\n#EXTINF:2.0,\nseg0000.ts\n#EXT-X-ENDLIST\n");
writeFileSync(join(vodDir, "seg0000.ts"), Buffer.alloc(1880, 0x47));
const vod = { dir: vodDir, playlist: "index.m3u8", segments: 1, bytes: 1880, seconds: 2, kbps: 7 };

let server: FixtureServer;
beforeAll(async () => {
  server = await startFixtureServer(fixtures, vod);
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("fixture server", () => {
  it("offers every rendition on the clip page, as yt-dlp's generic extractor reads them", async () => {
    const page = await (await fetch(server.template("clip").replace("{id}", "AbC_1"))).text();
    for (const r of RENDITIONS) {
      expect(page).toContain(`src="/media/clip-${r.id}.mp4"`);
      expect(page).toContain(`res="${r.height}"`);
    }
    expect(page).toMatch(/label="1080p60 \d+kbps"/);
  });

  it("serves byte ranges and counts body bytes", async () => {
    server.setLink(null);
    server.resetCounters();
    const res = await fetch(`${server.url}/media/clip-1080p60.mp4`, { headers: { range: "bytes=10-19" } });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes 10-19/${SIZE}`);
    expect((await res.arrayBuffer()).byteLength).toBe(10);
    expect(server.counters().bytes).toBe(10);
    expect((await fetch(`${server.url}/media/nope.mp4`)).status).toBe(404);
  });

  // Pacing itself is tested with a fake clock in shaper.test.ts; timing is never asserted here.
  it("delivers whole bodies through a shaped link, to concurrent clients", async () => {
    server.setLink(400e6);
    server.resetCounters();
    const bodies = await Promise.all(
      ["1080p60", "720p60"].map(async (id) => (await fetch(`${server.url}/media/clip-${id}.mp4`)).arrayBuffer()),
    );
    expect(bodies.map((b) => b.byteLength)).toEqual([SIZE, SIZE / 2]);
    expect(server.counters().bytes).toBe(SIZE * 1.5);
    expect(server.counters().requests.map((r) => r.status)).toEqual([200, 200]);
    server.setLink(null);
  });

  it("serves the VOD's playlist and segments under any id", async () => {
    server.setLink(null);
    const playlist = await fetch(`${server.url}/vod/v_1/index.m3u8`);
    expect(await playlist.text()).toContain("seg0000.ts");
    expect((await (await fetch(`${server.url}/vod/v_1/seg0000.ts`)).arrayBuffer()).byteLength).toBe(1880);
    expect((await fetch(`${server.url}/vod/v_1/seg9999.ts`)).status).toBe(404);
  });

  // A lower bound only: a response may come later on a loaded machine, never sooner.
  it("holds every response back by the link's round trip", async () => {
    server.setLink(null, 150);
    const started = performance.now();
    await (await fetch(`${server.url}/vod/v_1/seg0000.ts`)).arrayBuffer();
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    server.setLink(null);
  });
});
