/**
 * `npm run bench`: time-to-audio, bytes, memory and CPU of the engine against the original
 * pipeline (bench/baseline.ts) and the physical limit, on a fixture "Twitch" served over shaped
 * links. See bench/README in the engineer's note for what each figure means.
 *
 *   node bench/run.ts [--plan default|quick|full] [--reps N] [--links 50,200] [--batch N] [--offer html|hls]
 *                     [--pipelines baseline,ours,ours-novideo] [--only clip|long|batch]
 *
 * Plans: `default` fits in 10 minutes on a 2-core machine, first-time fixture generation included:
 * the pipelines that fetch 1080p (baseline, ours with video storage) run the 30-minute video once
 * and on the fast link only (on 50 Mbit/s it is 1.4 GB of transfer, ~4 minutes per run), the
 * baseline's batch too, and ours with video storage is not batched; `full` runs every pipeline
 * on every link with every repetition (~25 minutes); `quick` is one repetition of the 60 s clip.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type LocalBucket, S3RVER_CREDENTIALS, startBucket } from "./bucket.ts";
import { ensureFixtures, type Fixtures, LENGTHS, type LengthName, ROOT, smallestRendition } from "./fixtures.ts";
import { type Measurement, measure } from "./measure.ts";
import { formatReport } from "./report.ts";
import { type FixtureServer, type RequestRecord, startFixtureServer } from "./server.ts";
import { type Summary, summarize } from "./stats.ts";

export type PipelineName = "baseline" | "ours" | "ours-novideo";
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
}

interface Step {
  kind: "single" | "batch";
  length: LengthName;
  linkMbps: number;
  pipeline: PipelineName;
  rep: number;
}

const { values: options } = parseArgs({
  options: {
    plan: { type: "string", default: "default" },
    reps: { type: "string" },
    links: { type: "string", default: "50,200" },
    batch: { type: "string", default: "20" },
    offer: { type: "string", default: "html" },
    pipelines: { type: "string" },
    only: { type: "string" },
  },
});
const plan = options.plan as "default" | "quick" | "full";
if (!["default", "quick", "full"].includes(plan)) throw new Error(`unknown plan ${plan}`);
const reps = Number(options.reps ?? (plan === "quick" ? 1 : 3));
const links = (options.links ?? "50,200").split(",").map(Number);
const batchSize = Number(options.batch);
/** How the clip page offers its renditions: `<source>` tags of progressive MP4s (like Twitch clips) or HLS. */
const offer = options.offer === "hls" ? "hls" : "html";
const fast = Math.max(...links);
const engineAvailable =
  existsSync(ENGINE_CLI) &&
  (!ENGINE_CLI.endsWith("engine-runner.ts") || existsSync(join(ROOT, "container/src/pipeline.ts")));
const wanted = options.pipelines?.split(",") ?? PIPELINES;
const pipelines = PIPELINES.filter((p) => wanted.includes(p) && (p === "baseline" || engineAvailable));
/** `--only clip|long|batch`: run one part of the plan (for investigating). */
const only = options.only;

/** Interleaved plan: every repetition runs every pipeline, in an order that rotates each time. */
function buildPlan(): Step[] {
  return buildFullPlan().filter(
    (s) => !only || (only === "batch" ? s.kind === "batch" : s.kind === "single" && s.length === only),
  );
}

function buildFullPlan(): Step[] {
  const steps: Step[] = [];
  const rotate = <T>(list: readonly T[], by: number) => list.map((_, i) => list[(i + by) % list.length] as T);
  for (let rep = 0; rep < reps; rep++) {
    for (const linkMbps of links) {
      for (const pipeline of rotate(pipelines, rep))
        steps.push({ kind: "single", length: "clip", linkMbps, pipeline, rep });
    }
  }
  if (plan === "quick") return steps;
  const longReps = plan === "full" ? reps : 2;
  for (let rep = 0; rep < longReps; rep++) {
    for (const linkMbps of links) {
      for (const pipeline of rotate(pipelines, rep)) {
        // The heavy pipelines (1.4 GB of 1080p each) run once, on the fast link, unless --plan full.
        const heavy = pipeline !== "ours-novideo";
        if (plan !== "full" && heavy && (linkMbps !== fast || rep > 0)) continue;
        steps.push({ kind: "single", length: "long", linkMbps, pipeline, rep });
      }
    }
  }
  for (const linkMbps of links) {
    for (const pipeline of pipelines) {
      // Outside --plan full: the baseline's batch on the fast link only, and ours with video
      // storage only in single runs (a batch of 20 x 47 MB of 1080p adds a minute and says nothing new).
      if (plan !== "full" && pipeline === "ours") continue;
      if (plan !== "full" && pipeline === "baseline" && linkMbps !== fast) continue;
      steps.push({ kind: "batch", length: "clip", linkMbps, pipeline, rep: 0 });
    }
  }
  return steps;
}

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

async function runStep(step: Step, index: number, server: FixtureServer, bucket: LocalBucket): Promise<Run> {
  const clips = step.kind === "batch" ? batchSize : 1;
  const tag = `${step.pipeline.replace(/[^a-z]/g, "")}${step.length}${step.linkMbps}r${step.rep}i${index}`;
  const ids = Array.from({ length: clips }, (_, i) => `bench_${tag}_${i}`);
  const { script, args, env } = command(step.pipeline, ids, step.kind);
  server.setLink(step.linkMbps * 1e6);
  server.resetCounters();
  const measurement = await measure(
    script,
    args,
    {
      CLIP_SOURCE_URL_TEMPLATE: server.template(step.length, offer),
      S3_ENDPOINT: bucket.endpoint,
      ...S3RVER_CREDENTIALS,
      R2_BUCKET: BUCKET,
      ...env,
    },
    timeoutFor(step),
  );
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
  };
}

/** ffmpeg decoding the audio of a file alone (AAC → 16 kHz mono PCM, thrown away): median of 3. */
function decodeSeconds(path: string): number {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    execFileSync("ffmpeg", [
      "-nostdin",
      "-v",
      "error",
      "-i",
      path,
      "-vn",
      "-ac",
      "1",
      "-ar",
      "16000",
      "-f",
      "s16le",
      "-y",
      "/dev/null",
    ]);
    times.push((performance.now() - t0) / 1000);
  }
  return times.sort((a, b) => a - b)[1] as number;
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

export interface Limits {
  [key: string]: { bytes: number; rendition: string; transferSeconds: number; decodeSeconds: number; seconds: number };
}

function physicalLimits(fixtures: Fixtures): Limits {
  const limits: Limits = {};
  for (const length of Object.keys(LENGTHS) as LengthName[]) {
    const file = smallestRendition(fixtures, length);
    const decode = decodeSeconds(file.path);
    for (const linkMbps of links) {
      const transferSeconds = (file.bytes * 8) / (linkMbps * 1e6);
      limits[`${length}@${linkMbps}`] = {
        bytes: file.bytes,
        rendition: file.rendition,
        transferSeconds,
        decodeSeconds: decode,
        seconds: transferSeconds + decode,
      };
    }
  }
  return limits;
}

async function main(): Promise<void> {
  const started = performance.now();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const fixtures = await ensureFixtures(log);
  if (fixtures.generatedSeconds) log(`fixtures generated in ${fixtures.generatedSeconds.toFixed(1)} s`);
  if (!engineAvailable) log(`engine CLI ${ENGINE_CLI} not found: measuring the baseline only`);
  const limits = physicalLimits(fixtures);
  const startup = {
    ytDlpVersionSeconds: secondsOf(() => execFileSync("yt-dlp", ["--version"])),
    ffmpegVersionSeconds: secondsOf(() => execFileSync("ffmpeg", ["-version"])),
    nodeBootSeconds: secondsOf(() => execFileSync(process.execPath, ["-e", "0"])),
  };
  const server = await startFixtureServer(fixtures);
  const bucket = await startBucket(BUCKET);
  const steps = buildPlan();
  const runs: Run[] = [];
  try {
    for (const [index, step] of steps.entries()) {
      const run = await runStep(step, index, server, bucket);
      runs.push(run);
      const m = run.measurement;
      log(
        `[${index + 1}/${steps.length}] ${step.kind} ${step.length} ${step.linkMbps} Mbit/s ${step.pipeline} rep ${step.rep + 1}: ` +
          `${m.wallSeconds.toFixed(2)} s, ${(run.bytesDownloaded / 1e6).toFixed(1)} MB${run.complete ? "" : `  FAILED (exit ${m.exitCode}) ${m.stderrTail.slice(-600)}`}`,
      );
    }
  } finally {
    await bucket.stop();
    await server.close();
  }
  const summary: Summary = summarize(runs, limits);
  const totalSeconds = (performance.now() - started) / 1000;
  const meta = {
    date: new Date().toISOString(),
    plan,
    offer,
    reps,
    links,
    batchSize,
    engineCli: engineAvailable ? ENGINE_CLI : null,
    batchRunner: engineAvailable && !process.env.BENCH_ENGINE_CLI ? RUNNER : null,
    fixturesGeneratedSeconds: fixtures.generatedSeconds,
    totalSeconds,
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
