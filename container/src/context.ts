/**
 * What every step of one clip's run shares: the resolved source, the caller's options, the work
 * directory, and how events and progress leave the engine.
 */

import { ClipAudioError } from "../../shared/errors.ts";
import type { JobEvent, JobStage } from "../../shared/job.ts";
import type { EngineConfig } from "./config.ts";
import type { Sink } from "./sinks/sink.ts";
import type { Source } from "./source.ts";
import type { LocalBuild } from "./ytdlp-channel/builds.ts";

/** Progress events at most this often: enough for a bar, few enough for the Worker's DO. */
const PROGRESS_INTERVAL_MS = 500;

export interface ProcessOptions {
  config: EngineConfig;
  sink: Sink;
  force?: boolean;
  /** The caller saw no manifest of the clip just before: no need to look for one (JobRequest.known_new). */
  knownNew?: boolean;
  /** Overrides STORE_VIDEO for this clip. */
  storeVideo?: boolean;
  signal?: AbortSignal;
  onEvent?: (event: JobEvent) => void;
  /** The verified channel build this job runs (ytdlp-channel/builds.ts); unset: the pinned yt-dlp. */
  build?: LocalBuild | undefined;
}

export type Progress = (stage: JobStage, percent: number | null, bytes?: number | null, total?: number | null) => void;

export interface Context {
  source: Source;
  options: ProcessOptions;
  workDir: string;
  emit: (event: JobEvent) => void;
  progress: Progress;
}

export function throttledProgress(emit: (event: JobEvent) => void): Progress {
  let last = 0;
  return (stage, percent, bytes = null, total = null) => {
    const now = Date.now();
    if (now - last < PROGRESS_INTERVAL_MS && percent !== 100) return;
    last = now;
    const clamped = percent === null ? null : Math.max(0, Math.min(100, Math.round(percent * 10) / 10));
    emit({ type: "progress", stage, percent: clamped, bytes, total_bytes: total });
  };
}

export function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ClipAudioError("cancelled", "The job was cancelled");
}
