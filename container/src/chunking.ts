/**
 * Where long audio is cut: chunks of at most `targetSeconds`, each ending in the middle of the
 * latest silence that leaves the chunk at least `minFraction` of the target long, or with a hard
 * cut at the target when there is no such silence. Boundaries are whole samples, so the chunks
 * (without overlap) are exact slices whose concatenation is the whole.
 */
import type { Silence } from "./ffmpeg.ts";

export interface ChunkPlan {
  index: number;
  startSample: number;
  endSample: number;
}

export interface ChunkOptions {
  totalSamples: number;
  sampleRate: number;
  targetSeconds: number;
  overlapSeconds: number;
  silences: readonly Silence[];
  /** A cut is looked for between minFraction × target and the target. */
  minFraction?: number;
}

const DEFAULT_MIN_FRACTION = 0.6;

function nextBoundary(start: number, options: ChunkOptions): number {
  const { sampleRate, targetSeconds, totalSamples, silences } = options;
  const target = start + Math.floor(targetSeconds * sampleRate);
  if (target >= totalSamples) return totalSamples;
  const earliest = start + Math.floor(targetSeconds * (options.minFraction ?? DEFAULT_MIN_FRACTION) * sampleRate);
  let best: number | null = null;
  for (const silence of silences) {
    const middle = Math.round(((silence.start + silence.end) / 2) * sampleRate);
    if (middle > earliest && middle <= target) best = middle;
  }
  return best ?? target;
}

export function planChunks(options: ChunkOptions): ChunkPlan[] {
  const overlap = Math.floor(options.overlapSeconds * options.sampleRate);
  const chunks: ChunkPlan[] = [];
  let start = 0;
  while (start < options.totalSamples) {
    const end = nextBoundary(start, options);
    chunks.push({
      index: chunks.length,
      startSample: Math.max(0, start - (chunks.length > 0 ? overlap : 0)),
      endSample: end,
    });
    start = end;
  }
  return chunks;
}
