import { describe, expect, it } from "vitest";
import { wavHeader } from "../../container/src/wav.ts";
import { decodeWav, dominantFrequency, rms } from "./audio.ts";

const RATE = 16_000;

function sine(frequency: number, seconds: number, amplitude = 0.5): Int16Array {
  const samples = new Int16Array(Math.round(RATE * seconds));
  for (let i = 0; i < samples.length; i++)
    samples[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * frequency * i) / RATE));
  return samples;
}

function wav(samples: Int16Array): Buffer {
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  return Buffer.concat([wavHeader(data.length, RATE, 1), data]);
}

describe("audio analysis helpers", () => {
  it("decodes a WAV: rate, channels, sample count, duration", () => {
    const decoded = decodeWav(wav(sine(440, 1.25)));
    expect(decoded.sampleRate).toBe(RATE);
    expect(decoded.channels).toBe(1);
    expect(decoded.samples.length).toBe(20_000);
    expect(decoded.durationSeconds).toBeCloseTo(1.25, 6);
  });

  it("finds the dominant tone and tells it apart from a neighbour", () => {
    expect(dominantFrequency(sine(440, 0.5), RATE)).toBe(440);
    expect(dominantFrequency(sine(1000, 0.5), RATE)).toBe(1000);
  });

  it("measures level: silence is 0, a half-scale sine about 0.35", () => {
    expect(rms(new Int16Array(1600))).toBe(0);
    expect(rms(sine(440, 0.5))).toBeCloseTo(0.5 / Math.SQRT2, 2);
  });
});
