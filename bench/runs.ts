/**
 * What one measured step of the benchmark produced: written by run.ts, read by stats.ts and
 * report.ts. A module of its own so that neither of them imports run.ts, the entry point.
 */
import type { LengthName } from "./fixtures.ts";
import type { Measurement } from "./measure.ts";
import type { RequestRecord } from "./server.ts";

export type PipelineName = "baseline" | "ours" | "ours-novideo";

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
}
