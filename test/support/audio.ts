/**
 * Audio checks by what the audio is: format fields, sample count, and its dominant tone. The
 * WAV is read by ffprobe (./ffprobe.ts), never by the engine's own parser.
 */
import { type ProbedAudio, probeAndDecode } from "./ffprobe.ts";

export interface DecodedWav extends ProbedAudio {
  samples: Int16Array;
  /** From the decoded sample count (ffprobe's header-based figure is `headerDurationSeconds`). */
  durationSeconds: number;
  headerDurationSeconds: number;
}

export function decodeWav(bytes: Buffer): DecodedWav {
  const probed = probeAndDecode(bytes);
  return {
    ...probed,
    durationSeconds: probed.samples.length / probed.channels / probed.sampleRate,
    headerDurationSeconds: probed.durationSeconds,
  };
}

/** Power of `frequency` in `samples` (Goertzel), normalised by length. */
export function tonePower(samples: Int16Array, sampleRate: number, frequency: number): number {
  const k = 2 * Math.cos((2 * Math.PI * frequency) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (const sample of samples) {
    const s0 = sample / 32768 + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / samples.length;
}

/** The strongest frequency among 50..2000 Hz in 10 Hz steps, over (mono) samples. */
export function dominantFrequency(samples: Int16Array, sampleRate: number): number {
  let best = 0;
  let bestPower = -1;
  for (let f = 50; f <= 2000; f += 10) {
    const power = tonePower(samples, sampleRate, f);
    if (power > bestPower) {
      bestPower = power;
      best = f;
    }
  }
  return best;
}

/** Root mean square level of a stretch of samples, 0..1. */
export function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += (s / 32768) ** 2;
  return Math.sqrt(sum / Math.max(1, samples.length));
}
