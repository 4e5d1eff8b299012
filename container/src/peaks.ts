/**
 * The waveform's peaks: for each run of samples the smallest and largest value, so the console
 * can draw a clip of hours from a few kilobytes instead of downloading its WAV. One pass over
 * the PCM through one reused buffer (never the whole file in memory, no garbage per read).
 */
import type { Peaks } from "../../shared/schemas.ts";
import { forEachPiece } from "./file-pieces.ts";
import type { WavInfo } from "./wav.ts";

/** Enough columns for a wide screen; a longer clip gets more samples per peak, never more peaks. */
export const MAX_PEAKS = 2000;
/** Below this a peak says nothing more than the samples: 10 ms at 16 kHz. */
const MIN_SAMPLES_PER_PEAK = 160;

/** s16 → -127..127 (audiowaveform's 8-bit scale). */
const scale = (sample: number) => Math.min(127, Math.max(-127, Math.round(sample / 256)));

export async function computePeaks(path: string, wav: WavInfo): Promise<Peaks> {
  if (wav.format !== 1 || wav.bitsPerSample !== 16) throw new Error("peaks need 16-bit PCM");
  const frames = Math.floor(wav.dataBytes / wav.blockAlign);
  const perPeak = Math.max(MIN_SAMPLES_PER_PEAK, Math.ceil(frames / MAX_PEAKS));
  const data: number[] = [];
  let min = 0;
  let max = 0;
  let inPeak = 0;
  let carry: Buffer = Buffer.alloc(0);
  const onPiece = (piece: Buffer) => {
    const buffer = carry.length ? Buffer.concat([carry, piece]) : piece;
    const whole = buffer.length - (buffer.length % wav.blockAlign);
    // The first channel stands for all: the engine writes mono, and a peak is only a sketch.
    for (let offset = 0; offset < whole; offset += wav.blockAlign) {
      const sample = buffer.readInt16LE(offset);
      if (inPeak === 0 || sample < min) min = sample;
      if (inPeak === 0 || sample > max) max = sample;
      if (++inPeak === perPeak) {
        data.push(scale(min), scale(max));
        inPeak = 0;
      }
    }
    // A copy: the piece's memory is read into again.
    carry = Buffer.from(buffer.subarray(whole));
  };
  await forEachPiece(path, onPiece, { start: wav.dataOffset, end: wav.dataOffset + wav.dataBytes });
  if (inPeak > 0) data.push(scale(min), scale(max));
  return { version: 1, sample_rate: wav.sampleRate, samples_per_peak: perPeak, length: data.length / 2, data };
}
