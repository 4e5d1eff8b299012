/** The printed report of bench/instance.ts: one row per case and engine, then what an instance sustains. */
import { LENGTHS } from "./fixtures.ts";
import { type Spread, spread } from "./stats.ts";

export interface InstanceRun {
  case: "clip" | "clip-video" | "batch" | "long";
  engine: string;
  /** The engine's CPU limit (null: none). */
  cpus: number | null;
  clips: number;
  seconds: number;
  /** The bytes of the rendition fetched ÷ the link's speed: the floor the link sets. */
  transferSeconds: number;
  mbDownloaded: number;
  /** CPU seconds the engine's container used during the run (null outside Docker). */
  cpuSeconds: number | null;
  /** Time its processes waited because the CPU quota was spent (null outside Docker). */
  throttledSeconds: number | null;
  nodeRssMb: number;
  treeRssMb: number;
  complete: boolean;
  errors: string[];
}

interface Meta {
  date: string;
  command: string;
  minutes: number;
  loadAverage: { start: number[]; end: number[] };
  linkMbps: number;
  batchSize: number;
}

const CASE_LABEL = {
  clip: "60 s clip, video off",
  "clip-video": "60 s clip, video kept",
  batch: "batch of N clips, video off",
  long: "30-min video, video off",
} as const;

const f = (x: number | null | undefined, digits = 2) => (x == null || Number.isNaN(x) ? "-" : x.toFixed(digits));
const s = (sp: Spread, digits = 2) =>
  sp.n > 1 ? `${f(sp.median, digits)} [${f(sp.min, digits)}-${f(sp.max, digits)}]` : f(sp.median, digits);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

interface Row {
  name: InstanceRun["case"];
  engine: string;
  clips: number;
  seconds: Spread;
  vsTransfer: number;
  clipsPerMinute: number;
  cpuPerClip: number | null;
  throttled: Spread;
  /** Clips per minute the CPU limit allows at cpuPerClip, whatever the link (null without a limit). */
  cpuAllowsPerMinute: number | null;
  nodeRss: number;
  treeRss: number;
  complete: boolean;
}

function rows(runs: InstanceRun[]): Row[] {
  const groups = new Map<string, InstanceRun[]>();
  for (const run of runs) {
    const key = `${run.case}|${run.engine}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0] as InstanceRun;
    const seconds = spread(group.map((r) => r.seconds));
    const cpu = group.map((r) => r.cpuSeconds).filter((c): c is number => c !== null);
    const cpuPerClip = cpu.length ? spread(cpu).median / first.clips : null;
    return {
      name: first.case,
      engine: first.engine,
      clips: first.clips,
      seconds,
      vsTransfer: seconds.median / first.transferSeconds,
      clipsPerMinute: (first.clips * 60) / seconds.median,
      cpuPerClip,
      throttled: spread(group.map((r) => r.throttledSeconds).filter((t): t is number => t != null)),
      cpuAllowsPerMinute: first.cpus !== null && cpuPerClip ? (first.cpus * 60) / cpuPerClip : null,
      nodeRss: Math.max(...group.map((r) => r.nodeRssMb)),
      treeRss: Math.max(...group.map((r) => r.treeRssMb)),
      complete: group.every((r) => r.complete),
    };
  });
}

/**
 * What each engine sustains back to back: clips/min from its batch rows, hours of source per hour
 * from its long row; and under a CPU limit, what the CPU alone would allow (the bound on a link
 * faster than the bench's).
 */
function sustains(all: Row[]): string[] {
  const lines: string[] = [];
  const cpuBound = (perMinute: number | null, scale = 1) =>
    perMinute === null ? "" : `; its CPU limit alone allows ${f(perMinute * scale, 0)}`;
  for (const row of all.filter((r) => r.name === "batch")) {
    lines.push(
      `  ${row.engine}: ${f(row.clipsPerMinute, 1)} clips/min (batch median ${f(row.seconds.median)} s${cpuBound(row.cpuAllowsPerMinute)})`,
    );
  }
  const hours = LENGTHS.long / 3600;
  for (const row of all.filter((r) => r.name === "long")) {
    lines.push(
      `  ${row.engine}: ${f((hours * 3600) / row.seconds.median, 0)} hours of source per hour, 30-min 360p videos one at a time ` +
        `(${f(row.seconds.median)} s${row.cpuPerClip === null ? "" : ` and ${f(row.cpuPerClip)} CPU s`} each` +
        `${cpuBound(row.cpuAllowsPerMinute, hours * 60)})`,
    );
  }
  return lines;
}

export function formatInstanceReport(runs: InstanceRun[], meta: Meta): string {
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" / ");
  const all = rows(runs);
  const header = [
    "case",
    "engine",
    "n",
    "time s",
    "x transfer",
    "clips/min",
    "CPU s/clip",
    "CPU allows/min",
    "throttled s",
    "node RSS MB",
    "tree RSS MB",
  ];
  const body = all.map((r) => [
    r.name === "batch" ? `batch of ${r.clips} clips, video off` : CASE_LABEL[r.name],
    `${r.engine}${r.complete ? "" : " (FAILED)"}`,
    String(r.seconds.n),
    s(r.seconds),
    f(r.vsTransfer),
    f(r.clipsPerMinute, 1),
    f(r.cpuPerClip),
    f(r.cpuAllowsPerMinute, 1),
    f(r.throttled.median),
    f(r.nodeRss, 0),
    f(r.treeRss, 0),
  ]);
  return [
    `${meta.command}: ${meta.date}, ${f(meta.minutes, 1)} minutes, link ${meta.linkMbps} Mbit/s, ` +
      `load average (1/5/15 min) ${load(meta.loadAverage.start)} at the start, ${load(meta.loadAverage.end)} at the end`,
    "",
    table(header, body),
    "",
    "back to back, one instance sustains:",
    ...sustains(all),
    "",
  ].join("\n");
}
