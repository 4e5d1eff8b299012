import { describe, expect, it } from "vitest";
import { wavHeader } from "../../container/src/wav.ts";
import { decodeWav, dominantFrequency, rms } from "./audio.ts";
import { SPEECH_WAV } from "./ffprobe.ts";

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
  it("decodes a WAV with ffprobe: format, rate, channels, samples, duration", () => {
    const samples = sine(440, 1.25);
    const decoded = decodeWav(wav(samples));
    expect(decoded).toMatchObject({ ...SPEECH_WAV, sampleRate: RATE });
    expect(decoded.samples).toEqual(samples);
    expect(decoded.durationSeconds).toBeCloseTo(1.25, 6);
    expect(decoded.headerDurationSeconds).toBeCloseTo(1.25, 3);
  });

  it("tells other formats apart: stereo, 44.1 kHz, 8-bit, and bytes that are no WAV", () => {
    const stereo = Buffer.concat([wavHeader(8, 44_100, 2), Buffer.alloc(8)]);
    expect(decodeWav(stereo)).toMatchObject({ channels: 2, sampleRate: 44_100 });
    const eightBit = Buffer.concat([wavHeader(4, RATE, 1, 8), Buffer.alloc(4, 128)]);
    expect(decodeWav(eightBit)).toMatchObject({ codec: "pcm_u8", bitsPerSample: 8 });
    expect(() => decodeWav(Buffer.from("not a wav at all"))).toThrow(/ffprobe/);
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
