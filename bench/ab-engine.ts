/**
 * Two engine checkouts A/B on the service path, interleaved job by job: this checkout and
 * `--compare DIR` (e.g. `git archive <commit> | tar -x -C DIR`, with node_modules and
 * .bench-cache linked) run as two services side by side against the same fixture server and
 * bucket (s3rver, a test double of S3), so the machine's load hits both alike. For changes whose
 * gain is smaller than the noise between two `npm run bench` runs on a shared machine.
 *
 *   node bench/ab-engine.ts --compare DIR [--reps 5] [--link 200] [--cases clip,clip-video,long,long-video]
 *
 * Prints, per case and checkout, the median time (request → `completed`) with [min–max], the
 * transfer floor (bytes of the rendition fetched / link speed) and median / floor.
 */
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { S3RVER_CREDENTIALS, startBucket } from "./bucket.ts";
import { ensureFixtures, type LengthName, ROOT, renditionOf } from "./fixtures.ts";
import { startFixtureServer } from "./server.ts";
import { runOnService, type Service, startService } from "./service.ts";

const BUCKET = "clip-recap-pipeline";
const CASES: Record<string, { length: LengthName; video: boolean }> = {
  clip: { length: "clip", video: false },
  "clip-video": { length: "clip", video: true },
  long: { length: "long", video: false },
  "long-video": { length: "long", video: true },
};

const { values } = parseArgs({
  options: {
    compare: { type: "string" },
    reps: { type: "string", default: "5" },
    link: { type: "string", default: "200" },
    cases: { type: "string", default: "clip,clip-video,long" },
  },
});
if (!values.compare) throw new Error("--compare DIR: the checkout to compare with");
const reps = Number(values.reps);
const linkMbps = Number(values.link);
const cases = (values.cases ?? "").split(",").filter((name) => name in CASES);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;
const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const loadAtStart = loadavg();
  const fixtures = await ensureFixtures(log);
  const server = await startFixtureServer(fixtures);
  const bucket = await startBucket(BUCKET);
  const env = {
    CLIP_SOURCE_URL_TEMPLATE: server.template("auto"),
    S3_ENDPOINT: bucket.endpoint,
    ...S3RVER_CREDENTIALS,
    R2_BUCKET: BUCKET,
  };
  const engines: { name: string; service: Service }[] = [
    { name: "this", service: await startService("engine", env, ROOT) },
    { name: "compare", service: await startService("engine", env, resolve(values.compare as string)) },
  ];
  const times = new Map<string, number[]>();
  try {
    server.setLink(null);
    for (const { name, service } of engines) await runOnService(service, [`clip_warmup_${name}`], false);
    await bucket.empty();
    for (let rep = 0; rep < reps; rep++) {
      for (const caseName of cases) {
        const { length, video } = CASES[caseName] as (typeof CASES)[string];
        // Alternate who goes first, so neither always runs right after the other's tail.
        for (const { name, service } of rep % 2 ? [...engines].reverse() : engines) {
          server.setLink(linkMbps * 1e6);
          const run = await runOnService(service, [`${length}_${name}r${rep}`], video);
          await bucket.empty();
          if (!run.ok) throw new Error(`${caseName} on ${name}: ${run.errors.join("; ")}`);
          const key = `${caseName}\t${name}`;
          times.set(key, [...(times.get(key) ?? []), run.wallSeconds]);
          log(`rep ${rep + 1} ${caseName} ${name}: ${run.wallSeconds.toFixed(3)} s`);
        }
      }
    }
  } finally {
    for (const { service } of engines) await service.stop();
    await bucket.stop();
    await server.close();
  }
  const rows = [`case        link        checkout  n  median s [min-max]          floor s  x floor`];
  for (const caseName of cases) {
    const { length, video } = CASES[caseName] as (typeof CASES)[string];
    const file = renditionOf(fixtures, length, !video);
    const floor = (file.bytes * 8) / (linkMbps * 1e6);
    for (const { name } of engines) {
      const xs = times.get(`${caseName}\t${name}`) ?? [];
      const range = `${median(xs).toFixed(3)} [${Math.min(...xs).toFixed(3)}-${Math.max(...xs).toFixed(3)}]`;
      rows.push(
        `${caseName.padEnd(11)} ${`${linkMbps} Mbit/s`.padEnd(11)} ${name.padEnd(9)} ${String(xs.length).padEnd(2)} ${range.padEnd(26)} ${floor.toFixed(3).padEnd(8)} ${(median(xs) / floor).toFixed(3)}`,
      );
    }
  }
  // Each repetition ran the two back to back: the median of their differences is steadier than
  // the difference of the medians when the machine's load moves.
  for (const caseName of cases) {
    const [a, b] = engines.map(({ name }) => times.get(`${caseName}\t${name}`) ?? []) as [number[], number[]];
    const diffs = a.map((x, i) => x - (b[i] as number));
    rows.push(
      `${caseName}: this - compare, paired by repetition: median ${(median(diffs) * 1000).toFixed(0)} ms [${(Math.min(...diffs) * 1000).toFixed(0)} to ${(Math.max(...diffs) * 1000).toFixed(0)}]`,
    );
  }
  const fmt = (l: number[]) => l.map((x) => x.toFixed(2)).join(" / ");
  rows.push(
    `compare: ${resolve(values.compare as string)}; load average (1/5/15 min) ${fmt(loadAtStart)} at the start, ${fmt(loadavg())} at the end`,
  );
  process.stdout.write(`${rows.join("\n")}\n`);
}

await main();
