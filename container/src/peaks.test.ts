import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { computePeaks, MAX_PEAKS } from "./peaks.ts";
import { readWavInfo, wavHeader } from "./wav.ts";

const dir = await mkdtemp(join(tmpdir(), "peaks-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

async function wavFile(name: string, samples: number[], channels = 1): Promise<string> {
  const pcm = Buffer.alloc(samples.length * 2);
  for (const [i, s] of samples.entries()) pcm.writeInt16LE(s, i * 2);
  const path = join(dir, name);
  await writeFile(path, Buffer.concat([wavHeader(pcm.length, 16000, channels), pcm]));
  return path;
}

describe("computePeaks", () => {
  it("gives min and max of each run of samples, scaled to 8 bits", async () => {
    // 160 silent samples, then 160 of a full-scale square wave, then a short tail.
    const square = Array.from({ length: 160 }, (_, i) => (i % 2 ? 32767 : -32768));
    const path = await wavFile("a.wav", [...Array(160).fill(0), ...square, 1000, -1000]);
    const peaks = await computePeaks(path, await readWavInfo(path));
    expect(peaks).toEqual({
      version: 1,
      sample_rate: 16000,
      samples_per_peak: 160,
      length: 3,
      data: [0, 0, -127, 127, -4, 4],
    });
  });

  it("never writes more than MAX_PEAKS peaks, however long the audio", async () => {
    const path = await wavFile("long.wav", Array(16000 * 60).fill(5000));
    const peaks = await computePeaks(path, await readWavInfo(path));
    expect(peaks.length).toBeLessThanOrEqual(MAX_PEAKS);
    expect(peaks.data.length).toBe(peaks.length * 2);
    expect(peaks.samples_per_peak * peaks.length).toBeGreaterThanOrEqual(16000 * 60);
  });

  it("reads the first channel of interleaved stereo across many file pieces, as a plain loop would", async () => {
    // 10 s of stereo (640 KB, three of forEachPiece's 256 KiB pieces): left a ramp of varying slope, right
    // always full scale, which must not show up in any peak.
    const frames = 16000 * 10;
    const left = Array.from({ length: frames }, (_, i) => Math.round(20000 * Math.sin(i / 37) * ((i % 1000) / 1000)));
    const path = await wavFile(
      "stereo.wav",
      left.flatMap((l) => [l, 32767]),
      2,
    );
    const peaks = await computePeaks(path, await readWavInfo(path));
    const expected: number[] = [];
    for (let start = 0; start < frames; start += peaks.samples_per_peak) {
      const run = left.slice(start, start + peaks.samples_per_peak);
      expected.push(Math.round(Math.min(...run) / 256), Math.round(Math.max(...run) / 256));
    }
    expect(peaks.samples_per_peak).toBe(160);
    expect(peaks.data).toEqual(expected);
  });
});
