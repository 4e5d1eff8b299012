import { statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_CLIPS, type DemoClip, demoVideoPath, makeDemoClips, startDemoServer } from "./demo.ts";

const TINY: DemoClip = { id: "demo-tiny", title: "tiny", lines: ["one two three", "four five six"], pauseSeconds: 1 };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "clip-audio-demo-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("makeDemoClips", () => {
  it("speaks each line, puts the pauses between them, and makes an MP4 with video and AAC audio", async () => {
    const [timeline] = await makeDemoClips(dir, [TINY]);
    expect(timeline?.speech.map((s) => s.text)).toEqual(TINY.lines);
    const [first, second] = timeline?.speech ?? [];
    expect((second?.start_s ?? 0) - (first?.end_s ?? 0)).toBeCloseTo(TINY.pauseSeconds, 3);
    expect(timeline?.duration_s).toBeCloseTo((second?.end_s ?? 0) + TINY.pauseSeconds, 3);
    const probe = await execa("ffprobe", [
      ...["-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "csv=p=0"],
      demoVideoPath(dir, TINY.id),
    ]);
    expect(probe.stdout.split("\n").sort()).toEqual(["aac,audio", "h264,video"]);
  });

  it("makes a clip once, and again only when its definition changes", async () => {
    const before = statSync(demoVideoPath(dir, TINY.id)).mtimeMs;
    await makeDemoClips(dir, [TINY]);
    expect(statSync(demoVideoPath(dir, TINY.id)).mtimeMs).toBe(before);
    const [changed] = await makeDemoClips(dir, [{ ...TINY, lines: ["seven eight"] }]);
    expect(changed?.speech.map((s) => s.text)).toEqual(["seven eight"]);
    expect(statSync(demoVideoPath(dir, TINY.id)).mtimeMs).not.toBe(before);
  });

  it("has a short clip and one longer than MAX_CLIP_DURATION's default, both with demo- ids", () => {
    expect(DEMO_CLIPS.map((c) => c.id)).toEqual(["demo-hello", "demo-long"]);
    for (const clip of DEMO_CLIPS) {
      // Single-clause lines: espeak-ng pauses at punctuation, and the chunker would cut there.
      for (const line of clip.lines) expect(line).not.toMatch(/[.,;:!?]/);
    }
  });
});

describe("the demo server", () => {
  it("serves a page yt-dlp reads and the video with byte ranges; 503 until made, 404 for others", async () => {
    const empty = await mkdtemp(join(tmpdir(), "clip-audio-demo-empty-"));
    const server = await startDemoServer({ dir: empty, port: 0, clips: [TINY] });
    try {
      expect((await fetch(`${server.url}/demo-tiny`)).status).toBe(503);
      expect((await fetch(`${server.url}/demo-other`)).status).toBe(404);
    } finally {
      await server.close();
      await rm(empty, { recursive: true, force: true });
    }

    await makeDemoClips(dir, [TINY]);
    const live = await startDemoServer({ dir, port: 0, clips: [TINY] });
    try {
      const page = await (await fetch(`${live.url}/demo-tiny`)).text();
      const ld = JSON.parse(/<script type="application\/ld\+json">(.*?)<\/script>/.exec(page)?.[1] ?? "{}");
      expect(ld).toMatchObject({ "@type": "VideoObject", name: "tiny", contentUrl: `${live.url}/demo-tiny.mp4` });
      expect(ld.duration).toMatch(/^PT\d+\.\d{3}S$/);
      const size = statSync(demoVideoPath(dir, TINY.id)).size;
      const head = await fetch(`${live.url}/demo-tiny.mp4`, { method: "HEAD" });
      expect(head.headers.get("content-length")).toBe(String(size));
      const range = await fetch(`${live.url}/demo-tiny.mp4`, { headers: { Range: "bytes=10-109" } });
      expect(range.status).toBe(206);
      expect(range.headers.get("content-range")).toBe(`bytes 10-109/${size}`);
      expect((await range.arrayBuffer()).byteLength).toBe(100);
      expect(await (await fetch(`${live.url}/`)).json()).toEqual({ demo_clips: ["demo-tiny"] });
    } finally {
      await live.close();
    }
  });
});
