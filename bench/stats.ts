/** Medians, spreads, ratios to the baseline and the targets, from the raw runs. */
import { type Fixtures, type LengthName, renditionOf } from "./fixtures.ts";
import { audioOnly, type PipelineName, type Run } from "./runs.ts";

export interface Floor {
  rendition: string;
  bytes: number;
  transferSeconds: number;
  /** Median of the decodes timed right before this case's steps (same load as the steps). */
  decodeSeconds: number;
  /** max(transfer, decode): the two overlap (decoding runs while the bytes arrive). */
  seconds: number;
}
/** Keyed `${length}@${link}@${rendition}`. */
export type Floors = Record<string, Floor>;

export const floorKey = (length: string, linkMbps: number, rendition: string) => `${length}@${linkMbps}@${rendition}`;

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
  /** Median time ÷ the floor of what this pipeline transfers (single runs only). */
  vsLimit: number | null;
  floor: Floor | null;
  /** Batch: clips per minute the link allows for this pipeline's rendition, and the share reached. */
  linkClipsPerMinute: number | null;
  linkShare: number | null;
}

export interface Target {
  name: string;
  met: boolean | null;
  measured: string;
}

export interface Summary {
  cases: CaseStats[];
  limits: Floors;
  targets: Target[];
  /** The run each breakdown describes: the median run of the 60 s clip on the slow link. */
  breakdownRuns: Partial<Record<PipelineName, Run>>;
}

const key = (r: { kind: string; length: string; linkMbps: number; pipeline: string }) =>
  `${r.kind}|${r.length}|${r.linkMbps}|${r.pipeline}`;

export function summarize(runs: Run[], limits: Floors, fixtures: Fixtures): Summary {
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
      floor: null,
      linkClipsPerMinute: null,
      linkShare: null,
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
    const file = renditionOf(fixtures, c.length, audioOnly(c.pipeline));
    const floor = limits[floorKey(c.length, c.linkMbps, file.rendition)] ?? null;
    if (c.kind === "single" && floor) {
      c.floor = floor;
      c.vsLimit = c.seconds.median / floor.seconds;
    }
    if (c.kind === "batch") {
      c.linkClipsPerMinute = (60 * c.linkMbps * 1e6) / (file.bytes * 8);
      c.linkShare = c.clipsPerMinute / c.linkClipsPerMinute;
    }
  }

  const slow = Math.min(...cases.map((c) => c.linkMbps));
  const find = (kind: string, length: string, pipeline: string, link = slow) =>
    cases.find((c) => key(c) === key({ kind, length, linkMbps: link, pipeline }));
  const targets: Target[] = [];
  const fmt = (x: number, digits = 2) => x.toFixed(digits);
  const withinFloor = (c: CaseStats | undefined, label: string, limit: number) => {
    if (!c?.vsLimit || !c.floor) return;
    targets.push({
      name: `${label}, ${c.linkMbps} Mbit/s: within ${limit}x of its floor`,
      met: c.allComplete && c.vsLimit <= limit,
      measured: `${fmt(c.vsLimit)}x (${fmt(c.seconds.median)} s [${fmt(c.seconds.min)}-${fmt(c.seconds.max)}] vs floor ${fmt(c.floor.seconds)} s = max(transfer ${fmt(c.floor.transferSeconds)}, decode ${fmt(c.floor.decodeSeconds)}))`,
    });
  };
  withinFloor(find("single", "clip", "ours-novideo"), "60 s clip, video off", 1.3);
  withinFloor(
    find("single", "clip", "stack"),
    "60 s clip, video off, whole stack (signed sync POST /api/process-clips)",
    1.3,
  );
  const videoOn =
    find("single", "clip", "ours") ??
    cases.find((c) => c.kind === "single" && c.length === "clip" && c.pipeline === "ours");
  withinFloor(videoOn, "60 s clip, video kept (1080p)", 1.1);
  withinFloor(
    find("single", "long", "ours-novideo") ??
      cases.find((c) => c.kind === "single" && c.length === "long" && c.pipeline === "ours-novideo"),
    "30-minute source, video off",
    1.1,
  );
  const batch = find("batch", "clip", "ours-novideo");
  if (batch?.linkShare != null) {
    targets.push({
      name: `batch of ${batch.clips} clips, video off, ${batch.linkMbps} Mbit/s: at least 90% of the link's capacity`,
      met: batch.allComplete && batch.linkShare >= 0.9,
      measured: `${fmt(batch.linkShare * 100, 0)}% (${fmt(batch.clipsPerMinute, 1)} clips/min of ${fmt(batch.linkClipsPerMinute ?? 0, 1)})`,
    });
  }
  const ours = cases.filter((c) => c.pipeline !== "baseline");
  if (ours.length) {
    const peak = Math.max(...ours.map((c) => c.nodeRssMb.max));
    const tree = Math.max(...ours.map((c) => c.treeRssMb.max));
    targets.push({
      name: "engine peak RSS under 150 MB in every case measured",
      met: peak < 150,
      measured: `Node ${fmt(peak, 0)} MB (max over every run of ours); whole process tree ${fmt(tree, 0)} MB`,
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
