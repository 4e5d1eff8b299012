/**
 * The figures, measured on the local fixtures (run: `node container/scripts/figures.ts`).
 *
 * 1. Bytes downloaded and time, smallest audio-carrying rendition (STORE_VIDEO off) vs the best
 *    rendition (STORE_VIDEO on, video kept), same fixture clip, runs interleaved.
 * 2. With `--rss`: peak RSS of the engine for a 60 s and a 1-hour input, measured by running the CLI under
 *    GNU time (its "maximum resident set size" is the largest of node and its subprocesses).
 */
import { execFile, spawn } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { startFixtureServer } from "../../test/support/fixture-server.ts";
import { CACHE_DIR } from "../../test/support/media.ts";
import { loadConfig } from "../src/config.ts";
import { processClip } from "../src/pipeline.ts";
import { LocalSink } from "../src/sinks/local.ts";

const run = promisify(execFile);
const RUNS = 3;

/** The rendition comparison's link: 20 Mbit/s, a modest datacenter-to-CDN share (loopback has no cost). */
const LINK_BYTES_PER_SECOND = 2_500_000;

async function renditions(bytesPerSecond?: number): Promise<void> {
  console.log(bytesPerSecond ? `link ${(bytesPerSecond * 8) / 1e6} Mbit/s` : "link: loopback, unlimited");
  const fixtures = await startFixtureServer({ mediaBytesPerSecond: bytesPerSecond });
  const out = mkdtempSync(join(tmpdir(), "figures-"));
  const config = loadConfig({ CLIP_SOURCE_URL_TEMPLATE: fixtures.clipTemplate, OUTPUT_DIR: out });
  const totals = { smallest: { bytes: 0, ms: 0 }, best: { bytes: 0, ms: 0 } };
  try {
    for (let i = 0; i < RUNS; i++) {
      for (const mode of ["smallest", "best"] as const) {
        const before = fixtures.requests.length;
        const started = performance.now();
        await processClip(`tone-${mode}${i}`, {
          config,
          sink: new LocalSink(out),
          force: true,
          storeVideo: mode === "best",
        });
        totals[mode].ms += performance.now() - started;
        const media = fixtures.requests.slice(before).filter((r) => r.path.startsWith("/media/"));
        totals[mode].bytes += media.reduce((sum, r) => sum + r.bytes, 0);
        if (i === 0) console.log(mode, "files:", media.map((r) => r.path).join(" "));
      }
    }
  } finally {
    await fixtures.close();
    rmSync(out, { recursive: true, force: true });
  }
  for (const [mode, t] of Object.entries(totals)) {
    console.log(
      `${mode}: ${Math.round(t.bytes / RUNS)} bytes downloaded, ${Math.round(t.ms / RUNS)} ms per clip (mean of ${RUNS})`,
    );
  }
  console.log(
    `bytes ratio best/smallest: ${(totals.best.bytes / totals.smallest.bytes).toFixed(2)}, time ratio: ${(totals.best.ms / totals.smallest.ms).toFixed(2)}`,
  );
}

/** One hour of 440 Hz under a tiny video; `faststart` puts the index first (as Twitch's MP4s have it). */
async function toneVideo(seconds: number, faststart: boolean): Promise<string> {
  const path = join(CACHE_DIR, `tone_${seconds}s${faststart ? "_faststart" : ""}.mp4`);
  if (existsSync(path)) return path;
  mkdirSync(CACHE_DIR, { recursive: true });
  const partial = `${path}.partial.mp4`;
  await run("ffmpeg", [
    "-hide_banner",
    "-v",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    `color=c=black:s=160x90:r=5:d=${seconds}`,
    "-f",
    "lavfi",
    "-i",
    `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-c:a",
    "aac",
    "-b:a",
    "96k",
    "-shortest",
    ...(faststart ? ["-movflags", "+faststart"] : []),
    partial,
  ]);
  renameSync(partial, path);
  return path;
}

async function peakRss(seconds: number, faststart: boolean): Promise<void> {
  const file = await toneVideo(seconds, faststart);
  const server = createServer((_req, res) => {
    const stream = createReadStream(file);
    res.writeHead(200, { "Content-Type": "video/mp4", "Content-Length": statSync(file).size });
    stream.pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as AddressInfo).port;
  const out = mkdtempSync(join(tmpdir(), "figures-rss-"));
  const started = performance.now();
  const child = spawn(
    "/usr/bin/time",
    [
      "-v",
      process.execPath,
      "--max-semi-space-size=1",
      resolve(import.meta.dirname, "../src/cli.ts"),
      "process",
      `http://127.0.0.1:${port}/hour.mp4`,
      "--out",
      out,
      "--force",
      "--no-video",
    ],
    {
      env: {
        ...process.env,
        SOURCE_HOSTS: "127.0.0.1",
        MAX_SOURCE_DURATION: "7200",
        S3_ENDPOINT: "",
        R2_ACCESS_KEY_ID: "",
      },
      stdio: ["ignore", "inherit", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const code = await new Promise((ok) => child.on("close", ok));
  server.close();
  rmSync(out, { recursive: true, force: true });
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1];
  console.log(
    `${seconds} s input (${faststart ? "index first: decoded while downloading" : "index last: decoded from the saved file"}): exit ${code}, ${Math.round((performance.now() - started) / 1000)} s, peak RSS ${rss} KB`,
  );
}

await renditions();
await renditions(LINK_BYTES_PER_SECOND);
if (process.argv.includes("--rss")) {
  await peakRss(60, true);
  await peakRss(3600, true);
  await peakRss(3600, false);
}
