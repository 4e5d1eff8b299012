/**
 * Runs one pipeline as a child Node process and measures it:
 * - wall time from spawn to exit, in this process;
 * - peak RSS and CPU of the Node process from its own /proc at exit (bench/probe.ts): VmHWM is the
 *   Node process alone; CPU is the Node process plus every descendant it reaped (yt-dlp,
 *   ffmpeg, ffprobe and what they ran);
 * - the process tree's RSS sampled every SAMPLE_MS from /proc (Node + yt-dlp + ffmpeg… at the
 *   same instant), and each descendant's own VmHWM, by command name;
 * - the subprocess timeline (what ran when) for the time breakdown.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProbeReport } from "./probe.ts";

const SAMPLE_MS = 25;
const PROBE = join(import.meta.dirname, "probe.ts");
const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
const OUTPUT_TAIL = 4000;

export interface Measurement {
  ok: boolean;
  exitCode: number | null;
  startMs: number;
  wallSeconds: number;
  /** Node process alone (VmHWM at exit). */
  nodePeakRssMb: number;
  /** Largest sum of RSS over the process tree seen by sampling. */
  treePeakRssMb: number;
  /** The Node process's RSS over time: [ms since spawn, MB], sampled every SAMPLE_MS, kept on change. */
  nodeRssTimeline: [number, number][];
  /** Peak RSS of each descendant command (its own VmHWM, last sampled value), max per name. */
  childPeakRssMb: Record<string, number>;
  cpu: { nodeSeconds: number; childrenSeconds: number; totalSeconds: number };
  probe: ProbeReport | null;
  stdoutTail: string;
  stderrTail: string;
}

interface ProcInfo {
  ppid: number;
  comm: string;
}

function readProc(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const ppid = Number(stat.slice(close + 2).split(" ")[1]);
    return { ppid, comm };
  } catch {
    return null;
  }
}

export function memoryKb(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return {
      rss: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0),
      hwm: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0),
    };
  } catch {
    return null;
  }
}

/** The pids of `root` and all its descendants, with their command names. */
export function processTree(root: number): Map<number, string> {
  const children = new Map<number, number[]>();
  const names = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const info = readProc(pid);
    if (!info) continue;
    names.set(pid, info.comm);
    const list = children.get(info.ppid) ?? [];
    list.push(pid);
    children.set(info.ppid, list);
  }
  const tree = new Map<number, string>();
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop() as number;
    tree.set(pid, names.get(pid) ?? "?");
    stack.push(...(children.get(pid) ?? []));
  }
  return tree;
}

function tail(text: string): string {
  return text.length > OUTPUT_TAIL ? text.slice(-OUTPUT_TAIL) : text;
}

/**
 * `timeoutMs`: a run that takes longer is killed (its whole process group: the child is started
 * as a group leader) and reported as failed, so one hung pipeline cannot stall the benchmark.
 */
export async function measure(
  script: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 10 * 60_000,
): Promise<Measurement> {
  const dir = mkdtempSync(join(tmpdir(), "bench-probe-"));
  const probeOut = join(dir, "probe.json");
  const startMs = performance.timeOrigin + performance.now();
  const t0 = performance.now();
  const child = spawn(process.execPath, ["--import", PROBE, script, ...args], {
    env: { ...process.env, ...env, BENCH_PROBE_OUT: probeOut },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let timedOut = false;
  const killer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-(child.pid as number), "SIGKILL");
    } catch {
      // already gone
    }
  }, timeoutMs);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout = tail(stdout + d.toString());
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr = tail(stderr + d.toString());
  });

  let treePeakKb = 0;
  const childPeakKb: Record<string, number> = {};
  const root = child.pid as number;
  const nodeRssTimeline: [number, number][] = [];
  const sample = () => {
    let sum = 0;
    for (const [pid, comm] of processTree(root)) {
      const mem = memoryKb(pid);
      if (!mem) continue;
      sum += mem.rss;
      if (pid === root) {
        const mb = Math.round(mem.rss / 1024);
        const last = nodeRssTimeline.at(-1);
        if (!last || Math.abs(last[1] - mb) >= 2) nodeRssTimeline.push([Math.round(performance.now() - t0), mb]);
      }
      if (pid !== root) childPeakKb[comm] = Math.max(childPeakKb[comm] ?? 0, mem.hwm);
    }
    treePeakKb = Math.max(treePeakKb, sum);
  };
  const timer = setInterval(sample, SAMPLE_MS);
  const exitCode = await new Promise<number | null>((done) => child.on("close", (code) => done(code)));
  clearInterval(timer);
  clearTimeout(killer);
  if (timedOut) stderr += `\n[bench] killed after ${timeoutMs / 1000} s`;
  const wallSeconds = (performance.now() - t0) / 1000;

  let probe: ProbeReport | null = null;
  try {
    probe = JSON.parse(readFileSync(probeOut, "utf8")) as ProbeReport;
  } catch {
    probe = null;
  }
  rmSync(dir, { recursive: true, force: true });
  const [ut, st, cut, cst] = probe?.ticks ?? [0, 0, 0, 0];
  const nodeSeconds = (ut + st) / CLK_TCK;
  const childrenSeconds = (cut + cst) / CLK_TCK;
  const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;
  return {
    ok: exitCode === 0 && !timedOut,
    exitCode,
    startMs,
    wallSeconds,
    nodePeakRssMb: mb(probe?.vmHwmKb ?? 0),
    treePeakRssMb: mb(Math.max(treePeakKb, probe?.vmHwmKb ?? 0)),
    nodeRssTimeline,
    childPeakRssMb: Object.fromEntries(Object.entries(childPeakKb).map(([k, v]) => [k, mb(v)])),
    cpu: { nodeSeconds, childrenSeconds, totalSeconds: nodeSeconds + childrenSeconds },
    probe,
    stdoutTail: stdout,
    stderrTail: stderr,
  };
}
