/**
 * `--path process`: a new process per run (the CLI, one-shot use), measured from spawn to exit by
 * bench/measure.ts.
 */
import { join } from "node:path";
import { ROOT } from "./fixtures.ts";
import { measure } from "./measure.ts";
import { ENGINE_CLI, RUNNER } from "./options.ts";
import type { Step } from "./plan.ts";
import type { PipelineName, Run } from "./runs.ts";

const BASELINE = join(ROOT, "bench/baseline.ts");

/**
 * Single clips go through the engine's CLI. A batch goes through bench/engine-runner.ts, which
 * runs processClip() JOB_CONCURRENCY clips at a time like the service (default 2): the CLI
 * processes its arguments one after another, which is not the engine's default concurrency.
 */
function command(
  pipeline: PipelineName,
  ids: string[],
  kind: Step["kind"],
): { script: string; args: string[]; env: Record<string, string> } {
  if (pipeline === "baseline") return { script: BASELINE, args: ids, env: {} };
  const novideo = pipeline === "ours-novideo";
  return {
    script: kind === "batch" && !process.env.BENCH_ENGINE_CLI ? RUNNER : ENGINE_CLI,
    args: ["process", ...ids, ...(novideo ? ["--no-video"] : [])],
    env: { STORE_VIDEO: novideo ? "false" : "true" },
  };
}

/** Generous limits (several times the baseline's time) for killing a hung run. */
function timeoutFor(step: Step): number {
  if (step.kind === "batch") return 6 * 60_000;
  return step.length === "long" ? 6 * 60_000 : 90_000;
}

/** `env`: where the pipelines find the clips and the bucket (the same for every run). */
export async function processMeasurement(
  step: Step,
  ids: string[],
  env: Record<string, string>,
): Promise<Run["measurement"]> {
  const { script, args, env: own } = command(step.pipeline, ids, step.kind);
  return await measure(script, args, { ...env, ...own }, timeoutFor(step));
}
