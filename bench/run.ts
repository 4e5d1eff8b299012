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
 * one unmeasured job, and gets its work over HTTP (bench/service-path.ts, bench/service.ts).
 * `--path process`: a new process per run (the CLI, one-shot use), as the benchmark measured before
 * (bench/process-path.ts). bench/options.ts parses these options.
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
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { type LocalBucket, S3RVER_CREDENTIALS, startBucket } from "./bucket.ts";
import { buildBenchImage, DOCKER_HOST_ADDRESS, describeEngine } from "./docker-engine.ts";
import { ensureFixtures, type Fixtures, ROOT, renditionOf } from "./fixtures.ts";
import { decodeOnce, floors } from "./floors.ts";
import { type BenchOptions, ENGINE_CLI, parseOptions, RUNNER } from "./options.ts";
import { buildPlan, type Step } from "./plan.ts";
import { processMeasurement } from "./process-path.ts";
import { formatReport } from "./report.ts";
import { audioOnly, doneKey, isStack, type Run } from "./runs.ts";
import { type FixtureServer, startFixtureServer } from "./server.ts";
import { type PipelineEnv, type Services, serviceMeasurement, startServices } from "./service-path.ts";
import { formatBreakdown, marksOf } from "./stack-breakdown.ts";
import { type Summary, summarize } from "./stats.ts";
import { runVodCase } from "./vod.ts";
import { ensureVodFixture } from "./vod-fixture.ts";

const BUCKET = "clip-recap-pipeline";
const VOD_LINK_MBPS = 50;

/** What every step runs against. */
interface Bench {
  options: BenchOptions;
  server: FixtureServer;
  bucket: LocalBucket;
  fixtures: Fixtures;
  services: Services;
  env: PipelineEnv;
}

async function runStep(step: Step, index: number, bench: Bench): Promise<Run> {
  const { options, server, bucket, fixtures, services } = bench;
  const clips = step.kind === "batch" ? options.batchSize : 1;
  const tag = `${step.pipeline.replace(/[^a-z]/g, "")}${step.linkMbps}r${step.rep}i${index}`;
  const ids = Array.from({ length: clips }, (_, i) => `${step.length}_${tag}_${i}`);
  const decode =
    step.kind === "single" ? decodeOnce(renditionOf(fixtures, step.length, audioOnly(step.pipeline)).path) : null;
  server.setLink(step.linkMbps * 1e6);
  server.resetCounters();
  const service = options.path === "service";
  const measurement = service
    ? await serviceMeasurement(step, ids, services)
    : await processMeasurement(step, ids, bench.env);
  const { bytes, requests } = server.counters();
  const marks =
    service && step.kind === "single" && audioOnly(step.pipeline)
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

function secondsOf(fn: () => void, times = 3): number {
  const results: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    fn();
    results.push((performance.now() - t0) / 1000);
  }
  return results.sort((a, b) => a - b)[Math.floor(times / 2)] as number;
}

async function main(options: BenchOptions): Promise<void> {
  const { path, plan, reps, links, only, engineIn, engineAvailable } = options;
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
  const vod = options.vodCase ? await ensureVodFixture(log) : undefined;
  // An engine in a container reaches the host at the bridge gateway; host processes do too.
  const host = engineIn ? DOCKER_HOST_ADDRESS : "127.0.0.1";
  const server = await startFixtureServer(fixtures, vod, host);
  const bucket = await startBucket(BUCKET, host);
  const env: PipelineEnv = {
    CLIP_SOURCE_URL_TEMPLATE: server.template("auto", options.offer),
    S3_ENDPOINT: bucket.endpoint,
    ...S3RVER_CREDENTIALS,
    R2_BUCKET: BUCKET,
  };
  const steps = buildPlan({ plan, reps, links, pipelines: options.pipelines, only });
  const services: Services =
    path === "service" && steps.length
      ? await startServices(server, bucket, steps, env, options)
      : { engine: null, baseline: null, stacks: {} };
  const bench: Bench = { options, server, bucket, fixtures, services, env };
  const runs: Run[] = [];
  let vodReport = "";
  try {
    for (const [index, step] of steps.entries()) {
      const run = await runStep(step, index, bench);
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
      const vodOptions = { reps, linkMbps: VOD_LINK_MBPS, rttMs: options.rttMs, engines, limits: engineIn, log };
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
    offer: options.offer,
    stackCompare: options.stackCompare ?? null,
    reps,
    links,
    batchSize: options.batchSize,
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

await main(parseOptions());
