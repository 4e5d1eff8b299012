/**
 * `--path service` (the headline): each pipeline runs as a long-lived service, warmed with one
 * unmeasured job, and gets its work over HTTP (bench/service.ts); the whole stack through
 * bench/stack-service.ts.
 */
import type { LocalBucket } from "./bucket.ts";
import { startEngineService } from "./docker-engine.ts";
import { ROOT } from "./fixtures.ts";
import type { BenchOptions } from "./options.ts";
import type { Step } from "./plan.ts";
import { isStack, type PipelineName, type Run } from "./runs.ts";
import type { FixtureServer } from "./server.ts";
import { runOnService, type Service, startService, timedOn } from "./service.ts";
import { type StackService, startStackService } from "./stack-service.ts";

export interface Services {
  engine: Service | null;
  baseline: Service | null;
  stacks: Partial<Record<"stack" | "stack-base", StackService>>;
}

/** Where the pipelines find the clips and the bucket (the same for every run). */
export type PipelineEnv = Record<string, string> & {
  CLIP_SOURCE_URL_TEMPLATE: string;
  S3_ENDPOINT: string;
  R2_BUCKET: string;
};

/** What startServices needs from the command line. */
type ServiceOptions = Pick<BenchOptions, "pipelines" | "engineIn" | "stackCompare">;

export async function startServices(
  server: FixtureServer,
  bucket: LocalBucket,
  steps: Step[],
  env: PipelineEnv,
  { pipelines, engineIn, stackCompare }: ServiceOptions,
): Promise<Services> {
  const engine = pipelines.some((p) => p === "ours" || p === "ours-novideo")
    ? await startEngineService(env, engineIn)
    : null;
  const baseline = pipelines.includes("baseline") ? await startService("baseline", env) : null;
  const stacks: Services["stacks"] = {};
  // A stack (wrangler dev bundles for ~20 s) only when the plan has its steps.
  const planned = (name: PipelineName) => steps.some((s) => s.pipeline === name);
  if (planned("stack")) stacks.stack = await startStackService("stack", ROOT, env);
  if (planned("stack-base") && stackCompare)
    stacks["stack-base"] = await startStackService("stack-base", stackCompare, env);
  // A service is warm: one unmeasured job each, unshaped, before the measured ones.
  server.setLink(null);
  if (engine) await runOnService(engine, ["clip_warmup_engine"], false);
  if (baseline) await runOnService(baseline, ["clip_warmup_baseline"], true);
  for (const [name, stack] of Object.entries(stacks)) {
    const error = await stack.process(`clip_warmup_${name.replace(/[^a-z]/g, "")}`);
    if (error) throw new Error(`${name} warm-up failed: ${error}`);
  }
  await bucket.empty();
  return { engine, baseline, stacks };
}

export async function serviceMeasurement(step: Step, ids: string[], services: Services): Promise<Run["measurement"]> {
  const run = await serviceRun(step.pipeline, ids, services);
  return {
    ok: run.ok,
    exitCode: run.ok ? 0 : 1,
    startMs: run.startMs,
    wallSeconds: run.wallSeconds,
    nodePeakRssMb: run.nodePeakRssMb,
    treePeakRssMb: run.treePeakRssMb,
    nodeRssTimeline: [],
    childPeakRssMb: { "node VmHWM since start": run.nodeHwmMb },
    cpu: { nodeSeconds: 0, childrenSeconds: 0, totalSeconds: Number.NaN },
    probe: null,
    stdoutTail: "",
    stderrTail: run.errors.join("\n").slice(-4000),
  };
}

async function serviceRun(pipeline: PipelineName, ids: string[], services: Services) {
  if (isStack(pipeline)) {
    const stack = services.stacks[pipeline];
    if (!stack) throw new Error(`no stack for ${pipeline}`);
    stack.hops(); // only this run's records
    return await timedOn(stack.pid, async () =>
      (await Promise.all(ids.map((id) => stack.process(id)))).filter((e): e is string => e !== null),
    );
  }
  const service = pipeline === "baseline" ? services.baseline : services.engine;
  if (!service) throw new Error(`no service for ${pipeline}`);
  return await runOnService(service, ids, pipeline === "ours");
}
