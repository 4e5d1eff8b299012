/**
 * `npm run bench:instance`: what one deployed engine instance sustains. The engine runs as it
 * deploys, the Dockerfile's image with the container's own command (bench/docker-engine.ts),
 * limited like the instance type wrangler.toml names (standard-1: `--cpus 0.5 --memory 4g`),
 * beside the same image unlimited, interleaved, on the fixture "Twitch" of `npm run bench`.
 *
 *   node bench/instance.ts [--engines docker:0.5,docker] [--reps 5] [--batch-reps 3] [--link 50]
 *                          [--concurrency 1,2,3,4] [--only main|concurrency]
 *   node bench/instance.ts --report bench/results/instance-<date>.json   (prints a past run's report)
 *
 * `--engines`: `docker:<cpus>` (the image with that CPU limit and 4 GiB), `docker` (no CPU limit),
 * `host` (node container/src/server.ts on the host, as `npm run bench` runs it).
 * main: the 60 s clip video off and video kept, the batch of 20 clips video off, the 30-minute
 * video video off, every engine in a rotating order each repetition, at the engine's default
 * JOB_CONCURRENCY. concurrency: the batch on the first limited engine at each JOB_CONCURRENCY.
 * Per row: median time [min-max], time / transfer time, clips/min, the container's CPU seconds
 * (its cgroup: what --cpus rations), and the engine's Node RSS and whole tree (sampled from /proc).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type LocalBucket, S3RVER_CREDENTIALS, startBucket } from "./bucket.ts";
import { buildBenchImage, containerCpu, DOCKER_HOST_ADDRESS, STANDARD_1, startEngineService } from "./docker-engine.ts";
import { ensureFixtures, type Fixtures, ROOT, renditionOf } from "./fixtures.ts";
import { formatInstanceReport, type InstanceRun } from "./instance-report.ts";
import { type FixtureServer, startFixtureServer } from "./server.ts";
import { runOnService, type Service } from "./service.ts";

const BUCKET = "clip-recap-pipeline";

/** An engine to measure: where it runs, its CPU limit, and JOB_CONCURRENCY (null: the default). */
interface Engine {
  label: string;
  where: "docker" | "host";
  cpus: number | null;
  concurrency: number | null;
}

export type CaseName = "clip" | "clip-video" | "batch" | "long";

const { values: options } = parseArgs({
  options: {
    engines: { type: "string", default: "docker:0.5,docker" },
    reps: { type: "string", default: "5" },
    "batch-reps": { type: "string", default: "3" },
    link: { type: "string", default: "50" },
    concurrency: { type: "string", default: "1,2,3,4" },
    batch: { type: "string", default: "20" },
    only: { type: "string" },
    report: { type: "string" },
  },
});
const reps = Number(options.reps);
const batchReps = Number(options["batch-reps"]);
const linkMbps = Number(options.link);
const batchSize = Number(options.batch);

function parseEngine(spec: string): Engine {
  const [where, cpus] = spec.split(":");
  if (where !== "docker" && where !== "host") throw new Error(`--engines: ${spec}: expected docker[:CPUS] or host`);
  if (where === "host" && cpus) throw new Error("--engines: host takes no CPU limit");
  const limit = cpus ? Number(cpus) : null;
  if (limit !== null && !(limit > 0)) throw new Error(`--engines: ${spec}: CPUS must be a positive number`);
  return {
    label: where === "host" ? "host" : `docker ${limit ?? "unlimited"} cpu`,
    where,
    cpus: limit,
    concurrency: null,
  };
}

const engines = (options.engines ?? "").split(",").map(parseEngine);
const limited = engines.find((e) => e.cpus !== null) ?? { ...parseEngine(`docker:${STANDARD_1.cpus}`) };
const sweep: Engine[] = (options.concurrency ?? "")
  .split(",")
  .filter(Boolean)
  .map((n) => ({ ...limited, concurrency: Number(n), label: `${limited.label}, JOB_CONCURRENCY ${n}` }));

async function startEngine(engine: Engine, env: Record<string, string>): Promise<Service> {
  const settings = { ...env, ...(engine.concurrency ? { JOB_CONCURRENCY: String(engine.concurrency) } : {}) };
  return await startEngineService(settings, engine.where === "host" ? null : { ...STANDARD_1, cpus: engine.cpus });
}

interface Context {
  server: FixtureServer;
  bucket: LocalBucket;
  fixtures: Fixtures;
}

async function measureCase(ctx: Context, name: CaseName, engine: Engine, service: Service, index: number) {
  const clips = name === "batch" ? batchSize : 1;
  const length = name === "long" ? "long" : "clip";
  const storeVideo = name === "clip-video";
  const ids = Array.from({ length: clips }, (_, i) => `${length}_i${index}_${i}`);
  ctx.server.setLink(linkMbps * 1e6);
  ctx.server.resetCounters();
  const cpuBefore = engine.where === "docker" ? containerCpu(service.pid) : null;
  const run = await runOnService(service, ids, storeVideo);
  const cpuAfter = engine.where === "docker" ? containerCpu(service.pid) : null;
  const objects = await ctx.bucket.list();
  await ctx.bucket.empty();
  const file = renditionOf(ctx.fixtures, length, !storeVideo);
  const result: InstanceRun = {
    case: name,
    engine: engine.label,
    cpus: engine.where === "docker" ? engine.cpus : null,
    clips,
    seconds: run.wallSeconds,
    transferSeconds: (clips * file.bytes * 8) / (linkMbps * 1e6),
    mbDownloaded: ctx.server.counters().bytes / 1e6,
    cpuSeconds: cpuBefore && cpuAfter ? cpuAfter.used - cpuBefore.used : null,
    throttledSeconds: cpuBefore && cpuAfter ? cpuAfter.throttled - cpuBefore.throttled : null,
    nodeRssMb: run.nodePeakRssMb,
    treeRssMb: run.treePeakRssMb,
    complete: run.ok && ids.every((id) => objects.has(`audio/${id}.json`)),
    errors: run.errors.slice(0, 3),
  };
  process.stderr.write(
    `[${index}] ${name} ${engine.label}: ${result.seconds.toFixed(2)} s, CPU ${result.cpuSeconds?.toFixed(2) ?? "-"} s` +
      `${result.complete ? "" : `  FAILED ${result.errors.join("; ").slice(0, 400)}`}\n`,
  );
  return result;
}

const rotate = <T>(list: readonly T[], by: number) => list.map((_, i) => list[(i + by) % list.length] as T);

/** Runs `plan` (case, engine) pairs with every engine started, then stopped, around it. */
async function phase(ctx: Context, list: Engine[], plan: [CaseName, Engine][], runs: InstanceRun[]) {
  const env = {
    CLIP_SOURCE_URL_TEMPLATE: ctx.server.template("auto"),
    S3_ENDPOINT: ctx.bucket.endpoint,
    ...S3RVER_CREDENTIALS,
    R2_BUCKET: BUCKET,
  };
  const services = new Map<Engine, Service>();
  try {
    for (const engine of list) {
      const service = await startEngine(engine, env);
      services.set(engine, service);
      // Warm, as a deployed instance is after its first clip: one unmeasured job, unshaped.
      ctx.server.setLink(null);
      await runOnService(service, [`clip_warmup_${services.size}`], false);
    }
    await ctx.bucket.empty();
    for (const [name, engine] of plan) {
      runs.push(await measureCase(ctx, name, engine, services.get(engine) as Service, runs.length + 1));
    }
  } finally {
    for (const service of services.values()) await service.stop();
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const loadStart = loadavg();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const fixtures = await ensureFixtures(log);
  if (engines.some((e) => e.where === "docker") || sweep.length) await buildBenchImage(log);
  // The host as the containers see it; the host's own processes reach this address too.
  const server = await startFixtureServer(fixtures, undefined, DOCKER_HOST_ADDRESS);
  const bucket = await startBucket(BUCKET, DOCKER_HOST_ADDRESS);
  const ctx: Context = { server, bucket, fixtures };
  const runs: InstanceRun[] = [];
  try {
    if (options.only !== "concurrency") {
      const plan: [CaseName, Engine][] = [];
      for (let rep = 0; rep < reps; rep++) {
        for (const name of ["clip", "clip-video", "long"] as const) {
          for (const engine of rotate(engines, rep)) plan.push([name, engine]);
        }
        if (rep < batchReps) for (const engine of rotate(engines, rep)) plan.push(["batch", engine]);
      }
      await phase(ctx, engines, plan, runs);
    }
    if (options.only !== "main" && sweep.length) {
      const plan: [CaseName, Engine][] = [];
      for (let rep = 0; rep < batchReps; rep++) for (const engine of rotate(sweep, rep)) plan.push(["batch", engine]);
      await phase(ctx, sweep, plan, runs);
    }
  } finally {
    await bucket.stop();
    await server.close();
  }
  const meta = {
    date: started.toISOString(),
    command: `node bench/instance.ts ${process.argv.slice(2).join(" ")}`.trim(),
    minutes: (Date.now() - started.getTime()) / 60_000,
    loadAverage: { start: loadStart, end: loadavg() },
    linkMbps,
    batchSize,
  };
  process.stdout.write(formatInstanceReport(runs, meta));
  const dir = join(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `instance-${meta.date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify({ meta, runs }, null, 2));
  process.stdout.write(`\nresults: ${file}\n`);
}

if (options.report) {
  const { meta, runs } = JSON.parse(readFileSync(options.report, "utf8"));
  process.stdout.write(formatInstanceReport(runs, meta));
} else {
  await main();
}
