/**
 * `npm run bench`: time-to-audio, bytes and memory of the engine against the original pipeline
 * (bench/baseline.ts) and the floor, on a fixture "Twitch" served over shaped links. bench/README.md
 * says which figure answers which question.
 *
 *   node bench/run.ts [--path service|process] [--plan default|quick|full] [--reps N] [--links 50,200]
 *                     [--batch N] [--offer html|hls] [--pipelines baseline,ours,ours-novideo] [--only clip|long|batch]
 *                     [--engine host|docker] [--cpus N]
 *
 * `--path service` (default, the headline): each pipeline runs as a long-lived service, warmed with
 * one unmeasured job, and gets its work over HTTP (bench/service.ts). `--path process`: a new
 * process per run (the CLI, one-shot use), as the benchmark measured before.
 *
 * Every repetition runs every pipeline in an order that rotates, and times ffmpeg decoding the
 * step's rendition right before the step (the floor's decode part, measured under the same load).
 * Plans: `default` runs the 60 s clip `reps` times (5) on every link; the 30-minute video video-off
 * `reps` times on the slow link and once on the fast one, the 1080p pipelines (baseline, ours with
 * video) once on the fast link; the batch video-off on every link and the baseline's on the fast
 * one. `full` runs everything on every link `reps` times; `quick` is the 60 s clip only. `--engine
 * docker`: the engine as deployed, its image with 4 GiB and `--cpus N` (bench/docker-engine.ts).
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
import type { PipelineName, Run } from "./runs.ts";
import { type FixtureServer, startFixtureServer } from "./server.ts";
import { runOnService, type Service, startService } from "./service.ts";
import { type Summary, summarize } from "./stats.ts";

const PIPELINES: readonly PipelineName[] = ["baseline", "ours", "ours-novideo"];
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
const wanted = options.pipelines?.split(",") ?? PIPELINES;
const pipelines = PIPELINES.filter((p) => wanted.includes(p) && (p === "baseline" || engineAvailable));

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
    step.kind === "single"
      ? decodeOnce(renditionOf(fixtures, step.length, step.pipeline === "ours-novideo").path)
      : null;
  server.setLink(step.linkMbps * 1e6);
  server.resetCounters();
  const measurement =
    path === "service" ? await serviceMeasurement(step, ids, services) : await processMeasurement(step, ids, server);
  const { bytes, requests } = server.counters();
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
  };
}

async function serviceMeasurement(step: Step, ids: string[], services: Services): Promise<Run["measurement"]> {
  const service = step.pipeline === "baseline" ? services.baseline : services.engine;
  if (!service) throw new Error(`no service for ${step.pipeline}`);
  const run = await runOnService(service, ids, step.pipeline === "ours");
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

async function startServices(server: FixtureServer, bucket: LocalBucket): Promise<Services> {
  const env = {
    CLIP_SOURCE_URL_TEMPLATE: server.template("auto", offer),
    S3_ENDPOINT: bucket.endpoint,
    ...S3RVER_CREDENTIALS,
    R2_BUCKET: BUCKET,
  };
  const engine = pipelines.some((p) => p !== "baseline") ? await startEngineService(env, engineIn) : null;
  const baseline = pipelines.includes("baseline") ? await startService("baseline", env) : null;
  // A service is warm: one unmeasured job each, unshaped, before the measured ones.
  server.setLink(null);
  if (engine) await runOnService(engine, ["clip_warmup_engine"], false);
  if (baseline) await runOnService(baseline, ["clip_warmup_baseline"], true);
  await bucket.empty();
  return { engine, baseline };
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
  // An engine in a container reaches the host at the bridge gateway; host processes do too.
  const host = engineIn ? DOCKER_HOST_ADDRESS : "127.0.0.1";
  const server = await startFixtureServer(fixtures, host);
  const bucket = await startBucket(BUCKET, host);
  bucketEndpoint = bucket.endpoint;
  const services: Services =
    path === "service" ? await startServices(server, bucket) : { engine: null, baseline: null };
  const steps = buildPlan({ plan, reps, links, pipelines, only: options.only });
  const runs: Run[] = [];
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
  } finally {
    await services.engine?.stop();
    await services.baseline?.stop();
    await bucket.stop();
    await server.close();
  }
  const limits = floors(fixtures, runs);
  const summary: Summary = summarize(runs, limits, fixtures);
  const totalSeconds = (performance.now() - started) / 1000;
  const meta = {
    date: new Date().toISOString(),
    path,
    plan,
    offer,
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
  const dir = join(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${meta.date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify({ meta, limits, summary, runs }, null, 2));
  process.stdout.write(`\nresults: ${file}\n`);
}

await main();
