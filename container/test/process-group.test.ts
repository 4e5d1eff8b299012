/**
 * A tool that starts tools of its own (yt-dlp runs ffmpeg for HLS and --download-sections) is
 * ended with everything it started: on cancel, on timeout, and when it exits by itself. Real
 * process trees: `sh` starting `sleep` stands in for yt-dlp starting ffmpeg, and yt-dlp itself
 * downloads a time range of a fixture that trickles, through the ffmpeg it starts.
 */
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { commandOf, descendants, isRunning } from "../../test/support/processes.ts";
import { resolveSource } from "../src/source.ts";
import { type RunLimits, startTool, subprocessError } from "../src/subprocess.ts";
import { fetchSourceInfo, saveInfo, startDownload } from "../src/ytdlp.ts";

/** A shell that starts a long `sleep`, prints its pid and waits for it (as yt-dlp waits for its ffmpeg). */
const TREE = ["-c", "sleep 300 & echo $!; wait"];

/** Starts the tree; its promise settles to the typed error it failed with (or null). */
function startTree(limits: RunLimits, timeoutMs?: number) {
  const tool = startTool("sh", TREE, limits, { buffer: false });
  const ended = tool.then(
    () => null,
    (error: unknown) => subprocessError(error, "The tree", "download_failed", undefined, timeoutMs),
  );
  const child = once(tool.stdout as Readable, "data").then(([data]) => Number(String(data).trim()));
  return { ended, child };
}

describe("startTool", () => {
  it("on cancel ends the tool and every process it started", async () => {
    const abort = new AbortController();
    const tree = startTree({ timeoutMs: 60_000, signal: abort.signal });
    const child = await tree.child;
    expect(isRunning(child)).toBe(true);
    abort.abort();
    expect((await tree.ended)?.code).toBe("cancelled");
    await vi.waitFor(() => expect(isRunning(child)).toBe(false), { timeout: 3_000 });
  });

  it("on timeout ends the tool and every process it started", async () => {
    const tree = startTree({ timeoutMs: 1_000 }, 1_000);
    const child = await tree.child;
    expect(isRunning(child)).toBe(true);
    expect((await tree.ended)?.code).toBe("timeout");
    await vi.waitFor(() => expect(isRunning(child)).toBe(false), { timeout: 3_000 });
  });

  it("that is not installed fails as tool_missing, which is not retried", async () => {
    const tool = startTool("clip-audio-no-such-tool", [], { timeoutMs: 5_000 }, {});
    const error = await tool.then(
      () => null,
      (e: unknown) => subprocessError(e, "Downloading with yt-dlp", "download_failed"),
    );
    expect(error?.toJSON()).toEqual({
      code: "tool_missing",
      message: "Downloading with yt-dlp could not start: clip-audio-no-such-tool is not installed or not on PATH",
      retryable: false,
    });
  });
});

/**
 * A source that sends its headers and then nothing: the ffmpeg reading it blocks and writes
 * nothing, so no broken pipe ends it once yt-dlp is gone (a stalled CDN does the same).
 */
async function startStalledSource(): Promise<{ template: string; close: () => Promise<void> }> {
  const open = new Set<ServerResponse>();
  const server = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "video/mp4", "Content-Length": 10_000_000 });
    res.flushHeaders();
    open.add(res);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    template: `http://127.0.0.1:${port}/clips/{id}.mp4`,
    close: async () => {
      for (const res of open) res.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

describe("yt-dlp downloading a time range", () => {
  let source: Awaited<ReturnType<typeof startStalledSource>>;
  beforeAll(async () => {
    source = await startStalledSource();
  });
  afterAll(() => source.close());

  it("is cancelled with the ffmpeg it started", async () => {
    const dir = await mkdtemp(join(tmpdir(), "process-group-"));
    // What yt-dlp started (its ffmpeg, which reads the source), found while it runs.
    let started: number[] = [];
    try {
      const clip = resolveSource("stalled", { clipTemplate: source.template, allowedHosts: [] });
      // A time range: yt-dlp hands the download to ffmpeg (--download-sections), as for a VOD's range.
      const ranged = { ...clip, range: { startSeconds: 0, endSeconds: 5 } };
      const info = await fetchSourceInfo(ranged, { timeoutMs: 60_000 }, true);
      const infoPath = join(dir, "info.json");
      await saveInfo(infoPath, info);
      const abort = new AbortController();
      const download = startDownload(infoPath, ranged, true, { timeoutMs: 20_000, signal: abort.signal });
      const ended = download.then(
        () => null,
        (error: unknown) => subprocessError(error, "Downloading with yt-dlp", "download_failed"),
      );
      await vi.waitFor(
        () => {
          started = descendants(download.pid as number);
          // The downloading ffmpeg, not the version probes yt-dlp runs first (`ffmpeg -bsfs`).
          const commands = started.map(commandOf);
          expect(commands.some((c) => c.startsWith("ffmpeg ") && c.includes(" -i http://127.0.0.1"))).toBe(true);
        },
        { timeout: 30_000, interval: 100 },
      );
      abort.abort();
      // Before, yt-dlp's ffmpeg kept the pipe open and the download ran on to its timeout.
      const stillRunning = new Promise((resolve) => setTimeout(resolve, 5_000, "still running")).then(String);
      expect(await Promise.race([ended.then((error) => error?.code), stillRunning])).toBe("cancelled");
      await vi.waitFor(() => expect(started.filter(isRunning).map(commandOf)).toEqual([]), { timeout: 5_000 });
    } finally {
      // Whatever a failed run left behind (the old code's ffmpeg) must not outlive the test.
      for (const pid of started) if (isRunning(pid)) process.kill(pid, "SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
