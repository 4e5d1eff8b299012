/**
 * The service path: each pipeline as the long-lived process it is in production, started once
 * and warmed with one unmeasured job, then given work over HTTP. This is the headline figure:
 * what a caller waits for when it asks a running service for a clip.
 *
 * - engine: `node container/src/server.ts` (the container's own command, NODE_OPTIONS as in the
 *   Dockerfile), a signed `POST /jobs` per clip; time = request sent → `completed` event (the
 *   manifest is written before it).
 * - baseline: `node bench/baseline.ts --serve` (yt_dlp warm in its Python, like the original's
 *   server), `POST /` with the clip ids; time = request sent → response (last upload done).
 *
 * While a step runs, the service's process tree is sampled from /proc: the Node process's RSS
 * (the engine's peak) and the whole tree's (Node + resident yt-dlp workers + ffmpeg).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../scripts/stack.ts";
import { signRequest } from "../shared/hmac.ts";
import { ROOT } from "./fixtures.ts";
import { memoryKb, processTree } from "./measure.ts";

/** The engine's HMAC secret in the benchmark (a bench value, not a secret of any deployment). */
export const BENCH_SECRET = "bench-secret-0123456789abcdef0123456789";
const READY_TIMEOUT_MS = 30_000;
const SAMPLE_MS = 25;

export type ServiceName = "engine" | "baseline";

export interface Service {
  name: ServiceName;
  pid: number;
  url: string;
  stop(): Promise<void>;
}

export interface ServiceRun {
  ok: boolean;
  wallSeconds: number;
  /** Epoch ms when the request was sent (lines up with the fixture server's request log). */
  startMs: number;
  /** Peak RSS of the service's Node process during the step (sampled), and its VmHWM so far. */
  nodePeakRssMb: number;
  nodeHwmMb: number;
  /** Peak of the whole tree's RSS sum (Node + yt-dlp workers + ffmpeg), sampled. */
  treePeakRssMb: number;
  errors: string[];
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`service exited (${child.exitCode}) before it was ready`);
    try {
      const response = await fetch(url, { method: "GET" });
      await response.body?.cancel();
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`service at ${url} not ready after ${READY_TIMEOUT_MS / 1000} s`);
}

/** `root`: the checkout whose code runs (bench/vod.ts and bench/ab-engine.ts compare another commit's engine with this one). */
export async function startService(name: ServiceName, env: Record<string, string>, root = ROOT): Promise<Service> {
  const port = await freePort();
  const workDir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const script = name === "engine" ? join(root, "container/src/server.ts") : join(root, "bench/baseline.ts");
  const args = name === "engine" ? ["--max-semi-space-size=1", script] : [script, "--serve", String(port)];
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      ...env,
      PORT: String(port),
      HOST: "127.0.0.1",
      WORK_DIR: workDir,
      HMAC_SHARED_SECRET: BENCH_SECRET,
      NODE_ENV: "production",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(name === "engine" ? `${url}/health` : url, child);
  return {
    name,
    pid: child.pid as number,
    url,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((done) => (child.exitCode !== null ? done(null) : child.once("exit", done)));
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** One engine job over HTTP, read to its final event. */
async function engineJob(service: Service, clipId: string, storeVideo: boolean): Promise<string | null> {
  const body = JSON.stringify({ clip_id: clipId, force: true, store_video: storeVideo });
  const headers = { "content-type": "application/json", ...(await signRequest(BENCH_SECRET, body)) };
  const response = await fetch(`${service.url}/jobs`, { method: "POST", headers, body });
  if (!response.ok) return `HTTP ${response.status}: ${await response.text()}`;
  const text = await response.text();
  const last = text.trim().split("\n").at(-1) ?? "";
  const event = JSON.parse(last) as { type: string; error?: { message?: string } };
  return event.type === "completed" ? null : `${clipId}: ${event.error?.message ?? last}`;
}

async function baselineJob(service: Service, clipIds: string[]): Promise<string[]> {
  const response = await fetch(service.url, { method: "POST", body: JSON.stringify({ clip_ids: clipIds }) });
  const { results } = (await response.json()) as { results: { clip_id: string; success: boolean; error?: string }[] };
  return results.filter((r) => !r.success).map((r) => `${r.clip_id}: ${r.error}`);
}

/** Samples the service's process tree until `stop` resolves. */
function sampler(pid: number) {
  let nodePeakKb = 0;
  let treePeakKb = 0;
  const sample = () => {
    let sum = 0;
    for (const [child] of processTree(pid)) {
      const mem = memoryKb(child);
      if (!mem) continue;
      sum += mem.rss;
      if (child === pid) nodePeakKb = Math.max(nodePeakKb, mem.rss);
    }
    treePeakKb = Math.max(treePeakKb, sum);
  };
  const timer = setInterval(sample, SAMPLE_MS);
  sample();
  return () => {
    clearInterval(timer);
    sample();
    return { nodePeakKb, treePeakKb, hwmKb: memoryKb(pid)?.hwm ?? 0 };
  };
}

/**
 * Runs `clipIds` on the service: the engine gets one job per clip, all sent at once (it runs
 * JOB_CONCURRENCY of them at a time, as in production); the baseline gets them in one request and
 * processes them in order, as the original's `process_clips` did.
 */
export async function runOnService(service: Service, clipIds: string[], storeVideo: boolean): Promise<ServiceRun> {
  return await timedOn(service.pid, async () =>
    service.name === "engine"
      ? (await Promise.all(clipIds.map((id) => engineJob(service, id, storeVideo)))).filter(
          (e): e is string => e !== null,
        )
      : await baselineJob(service, clipIds),
  );
}

/** Times `work` (its errors: none when it succeeded) while sampling the process tree of `pid`. */
export async function timedOn(pid: number, work: () => Promise<string[]>): Promise<ServiceRun> {
  const stop = sampler(pid);
  const startMs = performance.timeOrigin + performance.now();
  const t0 = performance.now();
  let errors: string[];
  try {
    errors = await work();
  } catch (error) {
    errors = [String(error)];
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const memory = stop();
  const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;
  return {
    ok: errors.length === 0,
    wallSeconds,
    startMs,
    nodePeakRssMb: mb(memory.nodePeakKb),
    nodeHwmMb: mb(memory.hwmKb),
    treePeakRssMb: mb(memory.treePeakKb),
    errors,
  };
}
