/**
 * The VOD case (issue 22, point 2): the 60-minute audio-only HLS VOD (bench/vod-fixture.ts) to
 * its manifest on a warm engine service (bench/service.ts: a signed job, video off, into a local
 * s3rver bucket, the test double of R2), at 50 Mbit/s with a 40 ms round trip per request. Its floor is max(transfer of every segment at
 * the link's speed, ffmpeg decoding the VOD from disk), the decode timed once per repetition
 * under the same load. Target: at most 1.2x the floor, with the engine's memory bounded.
 *
 *   node bench/vod.ts [--reps 5] [--link 50] [--rtt 40] [--before DIR]
 *
 * `--before DIR`: a checkout of another commit of the engine (e.g. `git archive <base> | tar -x
 * -C DIR`, with node_modules linked), run interleaved with this one in the same process run, so
 * before/after see the same load. run.ts runs this case with `--only vod` and in its default plan.
 */
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type LocalBucket, S3RVER_CREDENTIALS, startBucket } from "./bucket.ts";
import { type EngineLimits, startEngineService } from "./docker-engine.ts";
import { ROOT } from "./fixtures.ts";
import { decodeOnce } from "./floors.ts";
import { type FixtureServer, startFixtureServer } from "./server.ts";
import { runOnService, type Service, startService } from "./service.ts";
import { spread } from "./stats.ts";
import { ensureVodFixture, type VodFixture } from "./vod-fixture.ts";

export interface VodOptions {
  reps: number;
  linkMbps: number;
  rttMs: number;
  /** Engine checkouts to compare, by label: `{ after: ROOT }`, plus `before` when given. */
  engines: Record<string, string>;
  /** `--engine docker`: this checkout's engine runs as its image under these limits (others stay on the host). */
  limits?: EngineLimits | null;
  log: (line: string) => void;
}

interface VodRun {
  engine: string;
  rep: number;
  ok: boolean;
  seconds: number;
  mb: number;
  requests: number;
  nodeRssMb: number;
  treeRssMb: number;
  error: string;
}

/** ffmpeg decoding the whole VOD from disk (AAC → 16 kHz mono PCM, thrown away): the floor's decode. */
/** One engine service per checkout, warmed (unshaped) with a 10-second VOD (`warm…` ids). */
async function startEngines(server: FixtureServer, bucket: LocalBucket, { engines, limits }: VodOptions) {
  const env = {
    CLIP_SOURCE_URL_TEMPLATE: `${server.url}/vod/{id}/index.m3u8`,
    S3_ENDPOINT: bucket.endpoint,
    ...S3RVER_CREDENTIALS,
    R2_BUCKET: bucket.bucket,
  };
  const services: Record<string, Service> = {};
  for (const [label, root] of Object.entries(engines)) {
    const service =
      root === ROOT && limits ? await startEngineService(env, limits) : await startService("engine", env, root);
    services[label] = service;
    server.setLink(null);
    const warm = await runOnService(service, [`warm_${label}`], false);
    if (!warm.ok) throw new Error(`the ${label} engine failed its warm-up job: ${warm.errors.join("; ")}`);
  }
  await bucket.empty();
  return services;
}

async function runOnce(server: FixtureServer, bucket: LocalBucket, service: Service, id: string) {
  server.resetCounters();
  const run = await runOnService(service, [id], false);
  const { bytes, requests } = server.counters();
  await bucket.empty();
  return {
    ok: run.ok,
    seconds: run.wallSeconds,
    mb: bytes / 1e6,
    requests: requests.length,
    nodeRssMb: run.nodePeakRssMb,
    treeRssMb: run.treePeakRssMb,
    error: run.errors.join("; ").slice(-400),
  };
}

/** Runs every engine `reps` times, interleaved (the order rotates), and returns the report's lines. */
export async function runVodCase(
  server: FixtureServer,
  bucket: LocalBucket,
  vod: VodFixture,
  options: VodOptions,
): Promise<string> {
  const services = await startEngines(server, bucket, options);
  try {
    return await measureEngines(server, bucket, vod, options, services);
  } finally {
    for (const service of Object.values(services)) await service.stop();
  }
}

async function measureEngines(
  server: FixtureServer,
  bucket: LocalBucket,
  vod: VodFixture,
  options: VodOptions,
  services: Record<string, Service>,
): Promise<string> {
  const { reps, linkMbps, rttMs, log } = options;
  const labels = Object.keys(services);
  const runs: VodRun[] = [];
  const decodes: number[] = [];
  const loadStart = loadavg();
  for (let rep = 0; rep < reps; rep++) {
    server.setLink(null);
    decodes.push(decodeOnce(join(vod.dir, vod.playlist)));
    for (const [i] of labels.entries()) {
      const engine = labels[(i + rep) % labels.length] as string;
      server.setLink(linkMbps * 1e6, rttMs);
      const service = services[engine] as Service;
      const run = { engine, rep, ...(await runOnce(server, bucket, service, `vod_${engine}_${rep}`)) };
      server.setLink(null);
      runs.push(run);
      log(
        `vod ${engine} rep ${rep + 1}/${reps}: ${run.seconds.toFixed(2)} s, ${run.mb.toFixed(1)} MB, ${run.requests} requests${run.ok ? "" : `  FAILED ${run.error}`}`,
      );
    }
  }
  const transfer = (vod.bytes * 8) / (linkMbps * 1e6);
  const decode = spread(decodes);
  const floor = Math.max(transfer, decode.median);
  const f = (x: number) => x.toFixed(2);
  const lines = [
    `VOD: ${vod.seconds.toFixed(0)} s audio-only HLS, ${vod.segments} segments, ${(vod.bytes / 1e6).toFixed(1)} MB (${vod.kbps} kbit/s), ${linkMbps} Mbit/s + ${rttMs} ms per request`,
    `floor ${f(floor)} s = max(transfer ${f(transfer)} s, decode ${f(decode.median)} s [${f(decode.min)}-${f(decode.max)}])`,
    "engine | runs ok | time to manifest s, median [min-max] | x floor | MB | requests | Node peak RSS MB | tree peak RSS MB",
  ];
  for (const engine of labels) {
    const mine = runs.filter((r) => r.engine === engine);
    const s = spread(mine.map((r) => r.seconds));
    const row = [
      engine,
      `${mine.filter((r) => r.ok).length}/${mine.length}`,
      `${f(s.median)} [${f(s.min)}-${f(s.max)}]`,
      `${f(s.median / floor)}x (target <= 1.2x)`,
      f(spread(mine.map((r) => r.mb)).median),
      String(spread(mine.map((r) => r.requests)).median),
      f(Math.max(...mine.map((r) => r.nodeRssMb))),
      f(Math.max(...mine.map((r) => r.treeRssMb))),
    ];
    lines.push(row.join(" | "));
  }
  lines.push(`load average at start ${loadStart.map(f).join(" ")}, at end ${loadavg().map(f).join(" ")}`);
  return `${lines.join("\n")}\n`;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      reps: { type: "string", default: "5" },
      link: { type: "string", default: "50" },
      rtt: { type: "string", default: "40" },
      before: { type: "string" },
    },
  });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const vod = await ensureVodFixture(log);
  // The clip fixtures are not needed here: the server serves the VOD alone.
  const server = await startFixtureServer({ dir: "", audioLoop: "", media: [], generatedSeconds: 0 }, vod);
  const bucket = await startBucket("clip-recap-vod");
  try {
    const engines: Record<string, string> = values.before ? { before: values.before, after: ROOT } : { after: ROOT };
    const options = {
      reps: Number(values.reps),
      linkMbps: Number(values.link),
      rttMs: Number(values.rtt),
      engines,
      log,
    };
    process.stdout.write(await runVodCase(server, bucket, vod, options));
  } finally {
    await bucket.stop();
    await server.close();
  }
}
