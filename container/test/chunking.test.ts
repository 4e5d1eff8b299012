/**
 * Where long audio is cut, as pure functions: ffmpeg's silencedetect lines read into silences,
 * and the chunk plan made from them (property-checked with fast-check).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planChunks } from "../src/chunking.ts";
import { parseSilences } from "../src/ffmpeg.ts";

describe("parseSilences", () => {
  it("pairs each silence_start with the silence_end that follows, as ffmpeg 5.1 prints them", () => {
    const stderr = [
      "[silencedetect @ 0x55d0c8a1c2c0] silence_start: -0.0213333",
      "[silencedetect @ 0x55d0c8a1c2c0] silence_end: 0.512 | silence_duration: 0.533333",
      "size=N/A time=00:00:20.00 bitrate=N/A speed= 512x",
      "[silencedetect @ 0x55d0c8a1c2c0] silence_start: 24.25",
      "[silencedetect @ 0x55d0c8a1c2c0] silence_end: 25.75 | silence_duration: 1.5",
      "[silencedetect @ 0x55d0c8a1c2c0] silence_start: 49.5",
    ].join("\n");
    // A negative start is clamped to 0; a silence still open at the end has no end and is dropped.
    expect(parseSilences(stderr)).toEqual([
      { start: 0, end: 0.512 },
      { start: 24.25, end: 25.75 },
    ]);
  });

  it("finds nothing in output without silencedetect lines", () => {
    expect(parseSilences("Input #0, wav, from 'pipe:0':\n  Duration: N/A")).toEqual([]);
  });
});

describe("planChunks", () => {
  const rate = 16_000;

  it("cuts in the middle of the latest silence within 60–100% of the target, else hard at the target", () => {
    const plan = planChunks({
      totalSamples: 70 * rate,
      sampleRate: rate,
      targetSeconds: 30,
      overlapSeconds: 0,
      // 10–11 s is too early (before 18 s); 24–26 s and 27–28 s qualify: the latest wins.
      silences: [
        { start: 10, end: 11 },
        { start: 24, end: 26 },
        { start: 27, end: 28 },
      ],
    });
    expect(plan.map((c) => [c.startSample / rate, c.endSample / rate])).toEqual([
      [0, 27.5],
      [27.5, 57.5],
      [57.5, 70],
    ]);
  });

  it("starts each chunk after the first overlapSeconds early", () => {
    const plan = planChunks({
      totalSamples: 65 * rate,
      sampleRate: rate,
      targetSeconds: 30,
      overlapSeconds: 2,
      silences: [],
    });
    expect(plan.map((c) => [c.startSample / rate, c.endSample / rate])).toEqual([
      [0, 30],
      [28, 60],
      [58, 65],
    ]);
  });

  it("always tiles the whole: contiguous, in order, none longer than the target, none empty", () => {
    const silence = fc
      .tuple(fc.integer({ min: 0, max: 3600 * 10 }), fc.integer({ min: 1, max: 30 }))
      .map(([start, length]) => ({ start: start / 10, end: (start + length) / 10 }));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3600 * rate }),
        fc.integer({ min: 5, max: 120 }),
        fc.array(silence, { maxLength: 40 }),
        (totalSamples, targetSeconds, silences) => {
          const sorted = [...silences].sort((a, b) => a.start - b.start);
          const plan = planChunks({
            totalSamples,
            sampleRate: rate,
            targetSeconds,
            overlapSeconds: 0,
            silences: sorted,
          });
          expect(plan[0]?.startSample).toBe(0);
          expect(plan.at(-1)?.endSample).toBe(totalSamples);
          plan.forEach((chunk, i) => {
            expect(chunk.index).toBe(i);
            expect(chunk.endSample).toBeGreaterThan(chunk.startSample);
            expect(chunk.endSample - chunk.startSample).toBeLessThanOrEqual(Math.floor(targetSeconds * rate));
            if (i > 0) expect(chunk.startSample).toBe(plan[i - 1]?.endSample);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
