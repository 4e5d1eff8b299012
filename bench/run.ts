/**
 * `npm run bench`: time-to-audio, bytes and memory of the engine against the original pipeline
 * (bench/baseline.ts) and the floor, on a fixture "Twitch" served over shaped links. bench/README.md
 * says which figure answers which question.
 *
 *   node bench/run.ts [--path service|process] [--plan default|quick|full] [--reps N] [--links 50,200]
 *                     [--batch N] [--offer html|hls] [--pipelines baseline,ours,ours-novideo,stack]
 *                     [--only clip|long|batch|stack|vod] [--stack-compare DIR] [--rtt MS] [--before DIR]
 *                     [--engine host|docker] [--cpus N]
 *
 * `--path service` (default, the headline): each pipeline runs as a long-lived service, warmed with
 * one unmeasured job, and gets its work over HTTP (bench/service.ts). `--path process`: a new
 * process per run (the CLI, one-shot use), as the benchmark measured before.
 *
 * `stack` (service path, 60 s clip): the whole local stack as `npm start` runs it, a signed sync
 * `POST /api/process-clips` per fresh clip (bench/stack-service.ts), beside the engine's own
 * service-path row (ours-novideo): the difference is what the Worker and its Durable Objects add.
 * `--only stack` runs just these two; `--stack-compare DIR` adds `stack-base`, the same stack from
 * another checkout (e.g. the base commit's), measured interleaved with this one.
 *
 * Every repetition runs every pipeline in an order that rotates, and times ffmpeg decoding the
 * step's rendition right before the step (the floor's decode part, measured under the same load).
 * Plans: `default` runs the 60 s clip `reps` times (5) on every link; the 30-minute video video-off
 * `reps` times on the slow link and once on the fast one, the 1080p pipelines (baseline, ours with
 * video) once on the fast link; the batch video-off on every link and the baseline's on the fast
 * one. `full` runs everything on every link `reps` times; `quick` is the 60 s clip only.
 * The VOD case (bench/vod.ts: a 60-minute audio-only HLS VOD at 50 Mbit/s + `--rtt` ms per
 * request, 40 by default) runs `reps` times after the default plan, or alone with `--only vod`;
 * `--before DIR` adds another checkout's engine to it, interleaved (before/after figures).
 * `--engine docker`: the engine as deployed, its image with 4 GiB and `--cpus N` (bench/docker-engine.ts).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type LocalBucket, S3RVER_CREDENTIALS, startBucket } from "./bucket.ts";
import {
  buildBenchImage,
  DOCKER_HOST_ADDRESS,
  describeEngine,
  engineLimits,
  startEngineService,
} from "./docker-engine.ts";
import { ensureFixtures, type Fixtures, ROOT, renditionOf } from "./fixtures.ts";
import { decodeOnce, floors } from "./floors.ts";
import { measure } from "./measure.ts";
import { buildPlan, type PlanName, type Step } from "./plan.ts";
import { formatReport } from "./report.ts";
import { audioOnly, isStack, type PipelineName, type Run } from "./runs.ts";
import { type FixtureServer, startFixtureServer } from "./server.ts";
import { runOnService, type Service, startService, timedOn } from "./service.ts";
import { formatBreakdown, marksOf } from "./stack-breakdown.ts";
import { type StackService, startStackService } from "./stack-service.ts";
import { type Summary, summarize } from "./stats.ts";
import { runVodCase } from "./vod.ts";
import { ensureVodFixture } from "./vod-fixture.ts";

const PIPELINES: readonly PipelineName[] = ["baseline", "ours", "ours-novideo", "stack", "stack-base"];
const BUCKET = "clip-recap-pipeline";
/** The engine's CLI; before it exists, a runner calling its processClip() the same way. */
const ENGINE_CLI =
  process.env.BENCH_ENGINE_CLI ??
  (committed("container/src/cli.ts") ? join(ROOT, "container/src/cli.ts") : join(ROOT, "bench/engine-runner.ts"));

/** Only committed engine code is measured: a file someone is still writing may be half done. */
function committed(path: string): boolean {
  try {
    execFileSync("git", ["ls-files", "--error-unmatch", path], { cwd: ROOT, stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const BASELINE = join(ROOT, "bench/baseline.ts");
const RUNNER = join(ROOT, "bench/engine-runner.ts");

const { values: options } = parseArgs({
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
const path = options.path === "process" ? "process" : "service";
const engineIn = engineLimits(options.engine, options.cpus);
if (engineIn && path !== "service") throw new Error("--engine docker measures the service path only");
const plan = options.plan as PlanName;
if (!["default", "quick", "full"].includes(plan)) throw new Error(`unknown plan ${plan}`);
const reps = Number(options.reps ?? 5);
const links = (options.links ?? "50,200").split(",").map(Number);
const batchSize = Number(options.batch);
/** How the clip page offers its renditions: `<source>` tags of progressive MP4s (like Twitch clips) or HLS. */
const offer = options.offer === "hls" ? "hls" : "html";
const engineAvailable =
  existsSync(ENGINE_CLI) &&
  (!ENGINE_CLI.endsWith("engine-runner.ts") || existsSync(join(ROOT, "container/src/pipeline.ts")));
/** `--only clip|long|batch|stack|vod`: run one part of the plan (for investigating). */
const only = options.only;
const stackCompare = options["stack-compare"];
const wanted: string[] =
  options.pipelines?.split(",") ?? (only === "stack" ? ["ours-novideo", "stack"] : [...PIPELINES]);
if (stackCompare) wanted.push("stack-base");
const pipelines = PIPELINES.filter(
  (p) =>
    wanted.includes(p) &&
    (p === "baseline" || engineAvailable) &&
    (!isStack(p) || path === "service") &&
    (p !== "stack-base" || stackCompare !== undefined),
);
/** The VOD case: with `--only vod`, and in the default plan. */
const vodCase = engineAvailable && (only === "vod" || (plan === "default" && !only));
const VOD_LINK_MBPS = 50;

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

/** The object whose presence says a clip is done: the manifest for ours, the WAV for the original. */
function doneKey(pipeline: PipelineName, id: string): string {
  return pipeline === "baseline" ? `audio/${id}.wav` : `audio/${id}.json`;
}

/** Generous limits (several times the baseline's time) for killing a hung run. */
function timeoutFor(step: Step): number {
  if (step.kind === "batch") return 6 * 60_000;
  return step.length === "long" ? 6 * 60_000 : 90_000;
}

interface Services {
  engine: Service | null;
  baseline: Service | null;
  stacks: Partial<Record<"stack" | "stack-base", StackService>>;
}

async function runStep(
  step: Step,
  index: number,
  server: FixtureServer,
  bucket: LocalBucket,
  fixtures: Fixtures,
  services: Services,
): Promise<Run> {
  const clips = step.kind === "batch" ? batchSize : 1;
  const tag = `${step.pipeline.replace(/[^a-z]/g, "")}${step.linkMbps}r${step.rep}i${index}`;
  const ids = Array.from({ length: clips }, (_, i) => `${step.length}_${tag}_${i}`);
  const decode =
    step.kind === "single" ? decodeOnce(renditionOf(fixtures, step.length, audioOnly(step.pipeline)).path) : null;
  server.setLink(step.linkMbps * 1e6);
  server.resetCounters();
  const measurement =
    path === "service" ? await serviceMeasurement(step, ids, services) : await processMeasurement(step, ids, server);
  const { bytes, requests } = server.counters();
  const marks =
    path === "service" && step.kind === "single" && audioOnly(step.pipeline)
      ? marksOf(
          measurement.startMs - performance.timeOrigin,
          ids[0] as string,
          requests,
          isStack(step.pipeline) ? (services.stacks[step.pipeline]?.hops() ?? null) : null,
          measurement.wallSeconds * 1000,
        )
      : undefined;
  const objects = Object.fromEntries(await bucket.list());
  await bucket.empty();
  const complete = ids.every((id) => doneKey(step.pipeline, id) in objects);
  return {
    ...step,
    clips,
    measurement,
    bytesDownloaded: bytes,
    requests,
    objects,
    complete: complete && measurement.ok,
    decodeSeconds: decode,
    ...(marks ? { marks } : {}),
  };
}

async function serviceMeasurement(step: Step, ids: string[], services: Services): Promise<Run["measurement"]> {
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

async function processMeasurement(step: Step, ids: string[], server: FixtureServer): Promise<Run["measurement"]> {
  const { script, args, env } = command(step.pipeline, ids, step.kind);
  return await measure(
    script,
    args,
    {
      CLIP_SOURCE_URL_TEMPLATE: server.template("auto", offer),
      S3_ENDPOINT: bucketEndpoint,
      ...S3RVER_CREDENTIALS,
      R2_BUCKET: BUCKET,
      ...env,
    },
    timeoutFor(step),
  );
}

function secondsOf(fn: () => void, times = 3): number {
  const results: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    fn();
    results.push((performance.now() - t0) / 1000);
  }
  return results.sort((a, b) => a - b)[Math.floor(times / 2)] as number;
}

async function startServices(server: FixtureServer, bucket: LocalBucket, steps: Step[]): Promise<Services> {
  const env = {
    CLIP_SOURCE_URL_TEMPLATE: server.template("auto", offer),
    S3_ENDPOINT: bucket.endpoint,
    ...S3RVER_CREDENTIALS,
    R2_BUCKET: BUCKET,
  };
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

let bucketEndpoint = "";

async function main(): Promise<void> {
  const started = performance.now();
  // The machine is shared: what else ran is part of every figure, so the report says.
  const loadAtStart = loadavg();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const fixtures = await ensureFixtures(log);
  if (fixtures.generatedSeconds) log(`fixtures generated in ${fixtures.generatedSeconds.toFixed(1)} s`);
  if (!engineAvailable) log(`engine CLI ${ENGINE_CLI} not found: measuring the baseline only`);
  const startup = {
    ytDlpVersionSeconds: secondsOf(() => execFileSync("yt-dlp", ["--version"])),
    ffmpegVersionSeconds: secondsOf(() => execFileSync("ffmpeg", ["-version"])),
    nodeBootSeconds: secondsOf(() => execFileSync(process.execPath, ["-e", "0"])),
  };
  if (engineIn) await buildBenchImage(log);
  const vod = vodCase ? await ensureVodFixture(log) : undefined;
  // An engine in a container reaches the host at the bridge gateway; host processes do too.
  const host = engineIn ? DOCKER_HOST_ADDRESS : "127.0.0.1";
  const server = await startFixtureServer(fixtures, vod, host);
  const bucket = await startBucket(BUCKET, host);
  bucketEndpoint = bucket.endpoint;
  const steps = buildPlan({ plan, reps, links, pipelines, only });
  const services: Services =
    path === "service" && steps.length
      ? await startServices(server, bucket, steps)
      : { engine: null, baseline: null, stacks: {} };
  const runs: Run[] = [];
  let vodReport = "";
  try {
    for (const [index, step] of steps.entries()) {
      const run = await runStep(step, index, server, bucket, fixtures, services);
      runs.push(run);
      const m = run.measurement;
      log(
        `[${index + 1}/${steps.length}] ${step.kind} ${step.length} ${step.linkMbps} Mbit/s ${step.pipeline} rep ${step.rep + 1}: ` +
          `${m.wallSeconds.toFixed(2)} s, ${(run.bytesDownloaded / 1e6).toFixed(1)} MB${run.complete ? "" : `  FAILED (exit ${m.exitCode}) ${m.stderrTail.slice(-600)}`}`,
      );
    }
    // The clip services' memory and CPU are not the VOD case's: stopped before it.
    await services.engine?.stop();
    await services.baseline?.stop();
    services.engine = services.baseline = null;
    if (vod) {
      const engines: Record<string, string> = options.before
        ? { before: options.before, after: ROOT }
        : { after: ROOT };
      const vodOptions = { reps, linkMbps: VOD_LINK_MBPS, rttMs: Number(options.rtt), engines, limits: engineIn, log };
      vodReport = await runVodCase(server, bucket, vod, vodOptions);
    }
  } finally {
    await services.engine?.stop();
    await services.baseline?.stop();
    for (const stack of Object.values(services.stacks)) await stack.stop();
    await bucket.stop();
    await server.close();
  }
  if (only === "vod") return void process.stdout.write(vodReport);
  const limits = floors(fixtures, runs);
  const summary: Summary = summarize(runs, limits, fixtures);
  const totalSeconds = (performance.now() - started) / 1000;
  const meta = {
    date: new Date().toISOString(),
    path,
    plan,
    offer,
    stackCompare: stackCompare ?? null,
    reps,
    links,
    batchSize,
    engineCli: path === "service" ? describeEngine(engineIn) : engineAvailable ? ENGINE_CLI : null,
    batchRunner: path === "process" && engineAvailable && !process.env.BENCH_ENGINE_CLI ? RUNNER : null,
    fixturesGeneratedSeconds: fixtures.generatedSeconds,
    totalSeconds,
    loadAverage: { start: loadAtStart, end: loadavg() },
    startup,
    versions: {
      node: process.version,
      ytDlp: execFileSync("yt-dlp", ["--version"]).toString().trim(),
      ffmpeg: execFileSync("ffmpeg", ["-version"]).toString().split("\n")[0],
    },
    fixtures: fixtures.media.map(({ path: _path, ...rest }) => rest),
  };
  process.stdout.write(formatReport(summary, meta));
  if (runs.some((r) => isStack(r.pipeline)))
    process.stdout.write(
      `\nstack = the whole local stack (scripts/stack.ts: wrangler dev Worker + Durable Objects, engine process), a signed sync POST /api/process-clips per fresh clip, video off, through two recording hops (engine, bucket: ~15-20 ms a clip); ours-novideo = the engine alone (POST /jobs). The difference is the Worker's and the Durable Objects' share.\n`,
    );
  process.stdout.write(`${formatBreakdown(runs).join("\n")}\n`);
  if (vodReport) process.stdout.write(`\n${vodReport}`);
  const dir = join(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${meta.date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify({ meta, limits, summary, runs }, null, 2));
  process.stdout.write(`\nresults: ${file}\n`);
}

await main();
