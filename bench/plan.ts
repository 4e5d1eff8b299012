/**
 * What `npm run bench` runs, in order: the steps of a plan (`default`, `quick`, `full`), every
 * repetition running every pipeline in an order that rotates (bench/run.ts says what each plan
 * holds).
 */
import type { LengthName } from "./fixtures.ts";
import { isStack, type PipelineName } from "./runs.ts";

export type PlanName = "default" | "quick" | "full";

export interface Step {
  kind: "single" | "batch";
  length: LengthName;
  linkMbps: number;
  pipeline: PipelineName;
  rep: number;
}

export interface PlanOptions {
  plan: PlanName;
  reps: number;
  /** Link speeds in Mbit/s; the fastest is "the fast link", the slowest "the slow link". */
  links: readonly number[];
  pipelines: readonly PipelineName[];
  /** `--only clip|long|batch|stack`: one part of the plan (for investigating); `stack` is the 60 s clip's. */
  only?: string | undefined;
}

/** Interleaved plan: every repetition runs every pipeline, in an order that rotates each time. */
export function buildPlan(options: PlanOptions): Step[] {
  const { only } = options;
  return buildFullPlan(options).filter(
    (s) =>
      !only ||
      (only === "batch" ? s.kind === "batch" : s.kind === "single" && s.length === (only === "stack" ? "clip" : only)),
  );
}

function buildFullPlan({ plan, reps, links, pipelines }: PlanOptions): Step[] {
  const steps: Step[] = [];
  const fast = Math.max(...links);
  const rotate = <T>(list: readonly T[], by: number) => list.map((_, i) => list[(i + by) % list.length] as T);
  const slow = Math.min(...links);
  for (let rep = 0; rep < reps; rep++) {
    for (const linkMbps of links) {
      for (const pipeline of rotate(pipelines, rep))
        steps.push({ kind: "single", length: "clip", linkMbps, pipeline, rep });
    }
  }
  if (plan === "quick") return steps;
  for (let rep = 0; rep < reps; rep++) {
    for (const linkMbps of links) {
      for (const pipeline of rotate(pipelines, rep)) {
        if (isStack(pipeline)) continue; // the whole stack's row is the 60 s clip's
        // The 1080p pipelines (1.4 GB each: ~4 minutes at 50 Mbit/s) run once, on the fast link;
        // video-off repeats on the slow link and runs once on the fast one, unless --plan full.
        const heavy = pipeline !== "ours-novideo";
        if (plan !== "full" && heavy && (linkMbps !== fast || rep > 0)) continue;
        if (plan !== "full" && !heavy && linkMbps !== slow && rep > 0) continue;
        steps.push({ kind: "single", length: "long", linkMbps, pipeline, rep });
      }
    }
  }
  for (const linkMbps of links) {
    for (const pipeline of pipelines) {
      // Outside --plan full: the baseline's batch on the fast link only, and ours with video
      // storage only in single runs (a batch of 20 x 47 MB of 1080p adds a minute and says nothing new).
      if ((plan !== "full" && pipeline === "ours") || isStack(pipeline)) continue;
      if (plan !== "full" && pipeline === "baseline" && linkMbps !== fast) continue;
      steps.push({ kind: "batch", length: "clip", linkMbps, pipeline, rep: 0 });
    }
  }
  return steps;
}
