/**
 * The floor each run is compared with: the slower of moving the rendition's bytes over the link
 * and ffmpeg decoding its audio alone, timed right before each step under the same load.
 */
import { execFileSync } from "node:child_process";
import { type Fixtures, type MediaFile, renditionOf } from "./fixtures.ts";
import { audioOnly, type Run } from "./runs.ts";
import { type Floors, floorKey } from "./stats.ts";

/** ffmpeg decoding the audio of a file alone (AAC → 16 kHz mono PCM, thrown away), once. */
export function decodeOnce(path: string): number {
  const t0 = performance.now();
  execFileSync("ffmpeg", [
    "-nostdin",
    "-v",
    "error",
    "-i",
    path,
    "-vn",
    "-ac",
    "1",
    "-ar",
    "16000",
    "-f",
    "s16le",
    "-y",
    "/dev/null",
  ]);
  return (performance.now() - t0) / 1000;
}

export function floors(fixtures: Fixtures, runs: Run[]): Floors {
  const out: Floors = {};
  const groups = new Map<string, { file: MediaFile; linkMbps: number; decodes: number[] }>();
  for (const run of runs) {
    if (run.decodeSeconds === null) continue;
    const file = renditionOf(fixtures, run.length, audioOnly(run.pipeline));
    const key = floorKey(run.length, run.linkMbps, file.rendition);
    const group = groups.get(key) ?? { file, linkMbps: run.linkMbps, decodes: [] };
    group.decodes.push(run.decodeSeconds);
    groups.set(key, group);
  }
  for (const [key, { file, linkMbps, decodes }] of groups) {
    const sorted = decodes.sort((a, b) => a - b);
    const decodeSeconds = sorted[Math.floor((sorted.length - 1) / 2)] as number;
    const transferSeconds = (file.bytes * 8) / (linkMbps * 1e6);
    out[key] = {
      rendition: file.rendition,
      bytes: file.bytes,
      transferSeconds,
      decodeSeconds,
      seconds: Math.max(transferSeconds, decodeSeconds),
    };
  }
  return out;
}
