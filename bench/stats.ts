/** Medians, spreads, ratios to the baseline and the targets, from the raw runs. */
import type { LengthName } from "./fixtures.ts";
import type { Limits, PipelineName, Run } from "./run.ts";

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (!n) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const mid = Math.floor(n / 2);
  const median = n % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[n - 1] as number, n };
}

export interface CaseStats {
  kind: "single" | "batch";
  length: LengthName;
  linkMbps: number;
  pipeline: PipelineName;
  clips: number;
  allComplete: boolean;
  seconds: Spread;
  mbDownloaded: Spread;
  nodeRssMb: Spread;
  treeRssMb: Spread;
  cpuSeconds: Spread;
  clipsPerMinute: number;
  /** Ratios of medians to the baseline's in the same case (null when the baseline did not run it). */
  vsBaseline: { seconds: number; bytes: number; nodeRss: number; cpu: number; throughput: number } | null;
  /** Median time ÷ physical limit (single runs only). */
  vsLimit: number | null;
}

export interface Target {
  name: string;
  met: boolean | null;
  measured: string;
}

export interface Summary {
  cases: CaseStats[];
  limits: Limits;
  targets: Target[];
  /** The run each breakdown describes: the median run of the 60 s clip on the slow link. */
  breakdownRuns: Partial<Record<PipelineName, Run>>;
}

const key = (r: { kind: string; length: string; linkMbps: number; pipeline: string }) =>
  `${r.kind}|${r.length}|${r.linkMbps}|${r.pipeline}`;

export function summarize(runs: Run[], limits: Limits): Summary {
  const groups = new Map<string, Run[]>();
  for (const run of runs) groups.set(key(run), [...(groups.get(key(run)) ?? []), run]);
  const cases: CaseStats[] = [];
  for (const group of groups.values()) {
    const first = group[0] as Run;
    const seconds = spread(group.map((r) => r.measurement.wallSeconds));
    cases.push({
      kind: first.kind,
      length: first.length,
      linkMbps: first.linkMbps,
      pipeline: first.pipeline,
      clips: first.clips,
      allComplete: group.every((r) => r.complete),
      seconds,
      mbDownloaded: spread(group.map((r) => r.bytesDownloaded / 1e6)),
      nodeRssMb: spread(group.map((r) => r.measurement.nodePeakRssMb)),
      treeRssMb: spread(group.map((r) => r.measurement.treePeakRssMb)),
      cpuSeconds: spread(group.map((r) => r.measurement.cpu.totalSeconds)),
      clipsPerMinute: (first.clips * 60) / seconds.median,
      vsBaseline: null,
      vsLimit: null,
    });
  }
  for (const c of cases) {
    const base = cases.find((b) => key(b) === key({ ...c, pipeline: "baseline" }));
    if (base && c.pipeline !== "baseline") {
      c.vsBaseline = {
        seconds: c.seconds.median / base.seconds.median,
        bytes: c.mbDownloaded.median / base.mbDownloaded.median,
        nodeRss: c.nodeRssMb.median / base.nodeRssMb.median,
        cpu: c.cpuSeconds.median / base.cpuSeconds.median,
        throughput: c.clipsPerMinute / base.clipsPerMinute,
      };
    }
    const limit = limits[`${c.length}@${c.linkMbps}`];
    if (c.kind === "single" && limit) c.vsLimit = c.seconds.median / limit.seconds;
  }

  const slow = Math.min(...cases.map((c) => c.linkMbps));
  const find = (kind: string, length: string, pipeline: string) =>
    cases.find((c) => key(c) === key({ kind, length, linkMbps: slow, pipeline }));
  const base60 = find("single", "clip", "baseline");
  const ours60 = find("single", "clip", "ours-novideo");
  const ours1800 = find("single", "long", "ours-novideo");
  const targets: Target[] = [];
  const fmt = (x: number, digits = 2) => x.toFixed(digits);
  if (base60 && ours60) {
    const speedup = base60.seconds.median / ours60.seconds.median;
    targets.push({
      name: `60 s clip, video off, ${slow} Mbit/s: at least 5x faster than the baseline`,
      met: speedup >= 5,
      measured: `${fmt(speedup, 1)}x (${fmt(base60.seconds.median)} s vs ${fmt(ours60.seconds.median)} s)`,
    });
  }
  if (ours60?.vsLimit != null) {
    const limit = limits[`clip@${slow}`];
    targets.push({
      name: `60 s clip, video off, ${slow} Mbit/s: within 1.3x of the physical limit`,
      met: ours60.vsLimit <= 1.3,
      measured: `${fmt(ours60.vsLimit)}x (${fmt(ours60.seconds.median)} s vs ${fmt(limit?.seconds ?? 0)} s)`,
    });
  }
  for (const c of [ours60, ours1800]) {
    if (!c) continue;
    targets.push({
      name: `${c.length === "clip" ? "60 s clip" : "30-minute video"}, video off: engine peak RSS under 150 MB`,
      met: c.nodeRssMb.max < 150,
      measured: `Node ${fmt(c.nodeRssMb.max, 0)} MB (max of runs); whole process tree ${fmt(c.treeRssMb.max, 0)} MB`,
    });
  }
  if (ours60 && ours1800) {
    const growth = ours1800.nodeRssMb.max / ours60.nodeRssMb.max;
    targets.push({
      name: "engine peak RSS flat in input length (30 min no more than 1.2x the 60 s clip)",
      met: growth <= 1.2,
      measured: `${fmt(growth)}x (${fmt(ours1800.nodeRssMb.max, 0)} MB vs ${fmt(ours60.nodeRssMb.max, 0)} MB)`,
    });
  }

  const breakdownRuns: Summary["breakdownRuns"] = {};
  for (const pipeline of ["baseline", "ours-novideo"] as const) {
    const group = runs.filter(
      (r) => r.kind === "single" && r.length === "clip" && r.linkMbps === slow && r.pipeline === pipeline,
    );
    const sorted = [...group].sort((a, b) => a.measurement.wallSeconds - b.measurement.wallSeconds);
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    if (median) breakdownRuns[pipeline] = median;
  }
  return { cases, limits, targets, breakdownRuns };
}
