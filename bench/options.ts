/**
 * The bench's command line (bench/run.ts's header lists the options), parsed once into one value
 * that the entry point passes to the parts that need it, and where the engine under test lives.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { engineLimits } from "./docker-engine.ts";
import { ROOT } from "./fixtures.ts";
import type { PlanName } from "./plan.ts";
import { isStack, type PipelineName } from "./runs.ts";

const PIPELINES: readonly PipelineName[] = ["baseline", "ours", "ours-novideo", "stack", "stack-base"];
/** The engine's CLI; before it exists, a runner calling its processClip() the same way. */
export const ENGINE_CLI =
  process.env.BENCH_ENGINE_CLI ??
  (committed("container/src/cli.ts") ? join(ROOT, "container/src/cli.ts") : join(ROOT, "bench/engine-runner.ts"));
export const RUNNER = join(ROOT, "bench/engine-runner.ts");

/** Only committed engine code is measured: a file someone is still writing may be half done. */
function committed(path: string): boolean {
  try {
    execFileSync("git", ["ls-files", "--error-unmatch", path], { cwd: ROOT, stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export type BenchOptions = ReturnType<typeof parseOptions>;

export function parseOptions(args: string[] = process.argv.slice(2)) {
  const { values: options } = parseArgs({
    args,
    options: {
      plan: { type: "string", default: "default" },
      reps: { type: "string" },
      links: { type: "string", default: "50,200" },
      batch: { type: "string", default: "20" },
      offer: { type: "string", default: "html" },
      pipelines: { type: "string" },
      only: { type: "string" },
      path: { type: "string", default: "service" },
      engine: { type: "string", default: "host" },
      cpus: { type: "string" },
      "stack-compare": { type: "string" },
      rtt: { type: "string", default: "40" },
      before: { type: "string" },
    },
  });
  const path: "service" | "process" = options.path === "process" ? "process" : "service";
  const engineIn = engineLimits(options.engine, options.cpus);
  if (engineIn && path !== "service") throw new Error("--engine docker measures the service path only");
  const plan = options.plan as PlanName;
  if (!["default", "quick", "full"].includes(plan)) throw new Error(`unknown plan ${plan}`);
  const engineAvailable =
    existsSync(ENGINE_CLI) &&
    (!ENGINE_CLI.endsWith("engine-runner.ts") || existsSync(join(ROOT, "container/src/pipeline.ts")));
  /** `--only clip|long|batch|stack|vod`: run one part of the plan (for investigating). */
  const only = options.only;
  const stackCompare = options["stack-compare"];
  return {
    path,
    engineIn,
    plan,
    reps: Number(options.reps ?? 5),
    links: (options.links ?? "50,200").split(",").map(Number),
    batchSize: Number(options.batch),
    /** How the clip page offers its renditions: `<source>` tags of progressive MP4s (like Twitch clips) or HLS. */
    offer: options.offer === "hls" ? ("hls" as const) : ("html" as const),
    engineAvailable,
    only,
    stackCompare,
    pipelines: pipelinesOf(options.pipelines, only, stackCompare, engineAvailable, path),
    /** The VOD case: with `--only vod`, and in the default plan. */
    vodCase: engineAvailable && (only === "vod" || (plan === "default" && !only)),
    rttMs: Number(options.rtt),
    before: options.before,
  };
}

/** The pipelines asked for (`--pipelines`, or all) that can run here on this path. */
function pipelinesOf(
  list: string | undefined,
  only: string | undefined,
  stackCompare: string | undefined,
  engineAvailable: boolean,
  path: "service" | "process",
): PipelineName[] {
  const wanted: string[] = list?.split(",") ?? (only === "stack" ? ["ours-novideo", "stack"] : [...PIPELINES]);
  if (stackCompare) wanted.push("stack-base");
  return PIPELINES.filter(
    (p) =>
      wanted.includes(p) &&
      (p === "baseline" || engineAvailable) &&
      (!isStack(p) || path === "service") &&
      (p !== "stack-base" || stackCompare !== undefined),
  );
}
