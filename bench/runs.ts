/**
 * What one measured step of the benchmark produced: written by run.ts, read by stats.ts and
 * report.ts. A module of its own so that neither of them imports run.ts, the entry point.
 */
import type { LengthName } from "./fixtures.ts";
import type { Measurement } from "./measure.ts";
import type { RequestRecord } from "./server.ts";
import type { Marks } from "./stack-breakdown.ts";

/**
 * stack: the whole local stack (Worker, Durable Objects, engine) through a signed sync
 * `POST /api/process-clips`, video off; stack-base: the same from a second checkout (`--stack-compare`).
 */
export type PipelineName = "baseline" | "ours" | "ours-novideo" | "stack" | "stack-base";

/** Whether the pipeline keeps no video (fetches the smallest rendition). */
export function audioOnly(pipeline: PipelineName): boolean {
  return pipeline !== "baseline" && pipeline !== "ours";
}

/** Whether the pipeline is the whole stack (this checkout's or the compared one's). */
export function isStack(pipeline: PipelineName): pipeline is "stack" | "stack-base" {
  return pipeline === "stack" || pipeline === "stack-base";
}

/** The object whose presence says a clip is done: the manifest for ours, the WAV for the original. */
export function doneKey(pipeline: PipelineName, id: string): string {
  return pipeline === "baseline" ? `audio/${id}.wav` : `audio/${id}.json`;
}

export interface Run {
  kind: "single" | "batch";
  length: LengthName;
  linkMbps: number;
  pipeline: PipelineName;
  rep: number;
  clips: number;
  measurement: Omit<Measurement, "probe"> & { probe: Measurement["probe"] };
  bytesDownloaded: number;
  requests: RequestRecord[];
  /** Objects the run left in the bucket, and whether the clip's completion marker is among them. */
  objects: Record<string, number>;
  complete: boolean;
  /** ffmpeg decoding this step's rendition alone, timed right before the step (single runs). */
  decodeSeconds: number | null;
  /** Where the time went (service path, single runs): ms after the request per mark. */
  marks?: Marks;
}
