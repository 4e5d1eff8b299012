/**
 * The Worker's own overhead per signed request, under `wrangler dev` (workerd, local Durable
 * Objects), measured from the client: latency of a signed `GET /clip-status/<id>` (rate limit,
 * HMAC, nonce claim, then one small status read) beside an open `GET /health` (none of them).
 *
 *   node bench/worker-overhead.ts [--requests 400] [--compare DIR]
 *
 * Requests go one at a time, interleaved (signed, open, signed…), after a warm-up, each signed
 * with a fresh nonce; the rate limit is raised so none is refused. Prints p50/p99 of each and
 * the difference of the medians (what rate limit + HMAC + nonce cost beyond the route itself).
 * `--compare DIR`: a second checkout (e.g. `git archive <commit> | tar -x -C DIR`, with
 * node_modules linked) runs its own stack at the same time, and the two are measured
 * interleaved request by request, so machine load hits both alike.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { requestTarget, signRequest } from "../shared/hmac.ts";

const SECRET = "overhead-secret-0123456789abcdef";
const { values } = parseArgs({
  options: { requests: { type: "string", default: "400" }, compare: { type: "string" } },
});
const requests = Number(values.requests);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function timed(url: string, headers: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const response = await fetch(url, { headers });
  const body = await response.text();
  const ms = performance.now() - t0;
  if (response.status >= 500 || response.status === 401 || response.status === 429) {
    throw new Error(`${url}: HTTP ${response.status} ${body.slice(0, 300)}`);
  }
  return ms;
}

interface Target {
  name: string;
  stop: () => Promise<void>;
  signed: () => Promise<number>;
  open: () => Promise<number>;
  times: { signed: number[]; open: number[] };
}

async function start(name: string, root: string): Promise<Target> {
  const { freePort, startStack } = (await import(
    join(root, "scripts/stack.ts")
  )) as typeof import("../scripts/stack.ts");
  const dataDir = await mkdtemp(join(tmpdir(), "worker-overhead-"));
  const [worker, container, bucket, inspector] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const stack = await startStack({
    ports: { worker, container, bucket, inspector },
    dataDir,
    env: { HMAC_SHARED_SECRET: SECRET, RATE_LIMIT_REQUESTS: "100000", RATE_LIMIT_WINDOW_SECONDS: "60" },
  });
  const signedUrl = `${stack.urls.worker}/clip-status/OverheadProbeClip`;
  const openUrl = `${stack.urls.worker}/health`;
  return {
    name,
    stop: async () => {
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
    signed: async () =>
      timed(signedUrl, {
        "CF-Connecting-IP": "198.51.100.7",
        ...(await signRequest(SECRET, "", { target: requestTarget("GET", signedUrl) })),
      }),
    open: () => timed(openUrl, {}),
    times: { signed: [], open: [] },
  };
}

const targets = [await start("this checkout", resolve(import.meta.dirname, ".."))];
if (values.compare) targets.push(await start(values.compare, resolve(values.compare)));
try {
  for (let i = 0; i < 50; i++) {
    for (const target of targets) {
      await target.signed();
      await target.open();
    }
  }
  for (let i = 0; i < requests; i++) {
    for (const target of i % 2 ? [...targets].reverse() : targets) {
      target.times.signed.push(await target.signed());
      target.times.open.push(await target.open());
    }
  }
  const line = (name: string, list: number[]) => {
    const sorted = [...list].sort((a, b) => a - b);
    return `  ${name}: p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms (n=${sorted.length})`;
  };
  const median = (list: number[]) =>
    percentile(
      [...list].sort((a, b) => a - b),
      50,
    );
  for (const target of targets) {
    console.log(`${target.name}:`);
    console.log(line("signed GET /clip-status (rate limit + HMAC + nonce + status read)", target.times.signed));
    console.log(line("open GET /health (none of them)", target.times.open));
    console.log(`  difference of medians: ${(median(target.times.signed) - median(target.times.open)).toFixed(2)} ms`);
  }
} finally {
  for (const target of targets) await target.stop();
}
