/**
 * The CLI's progress per clip, from the job's own events: a bar redrawn in place on a terminal,
 * plain lines elsewhere (logs, CI). Rate and ETA are averages since the stage began: events come
 * at most twice a second (context.ts), too few for a moving window to be steadier.
 *
 *   tone-a  downloading [#########---------------]  38%  1.2 MB  410 kB/s  ETA 3s
 */
import type { JobEvent, JobStage } from "../../shared/job.ts";

const BAR_WIDTH = 24;
/** No ETA in a stage's first second: one early sample (0.1 % after 0.5 s) predicts minutes. */
const ETA_AFTER_SECONDS = 1;

/** What one clip's progress looks like at a moment. */
export interface Snapshot {
  stage: JobStage;
  percent: number | null;
  bytes: number | null;
  totalBytes: number | null;
  /** Bytes per second since the stage began; null before there is a second point. */
  rate: number | null;
  /** Seconds left at the stage's pace so far; null when unknown. */
  etaSeconds: number | null;
}

/** Follows one clip's events and keeps the current stage's start, for rate and ETA. */
export class ProgressTracker {
  #stage: JobStage | null = null;
  #start = { at: 0, percent: 0, bytes: 0 };
  #snapshot: Snapshot | null = null;

  /** The snapshot after `event` (at `now` ms), or null for events that are not progress. */
  update(event: JobEvent, now: number): Snapshot | null {
    if (event.type === "state") {
      this.#begin(event.stage, now);
      this.#snapshot = {
        stage: event.stage,
        percent: null,
        bytes: null,
        totalBytes: null,
        rate: null,
        etaSeconds: null,
      };
      return this.#snapshot;
    }
    if (event.type !== "progress") return null;
    if (event.stage !== this.#stage) this.#begin(event.stage, now);
    const seconds = (now - this.#start.at) / 1000;
    const rate = event.bytes !== null && seconds > 0 ? (event.bytes - this.#start.bytes) / seconds : null;
    let etaSeconds: number | null = null;
    if (event.percent !== null && seconds >= ETA_AFTER_SECONDS) {
      const perSecond = (event.percent - this.#start.percent) / seconds;
      if (perSecond > 0) etaSeconds = (100 - event.percent) / perSecond;
    }
    if (etaSeconds === null && rate && seconds >= ETA_AFTER_SECONDS && event.bytes !== null && event.total_bytes) {
      etaSeconds = Math.max(0, event.total_bytes - event.bytes) / rate;
    }
    this.#snapshot = {
      stage: event.stage,
      percent: event.percent,
      bytes: event.bytes,
      totalBytes: event.total_bytes,
      rate,
      etaSeconds,
    };
    return this.#snapshot;
  }

  #begin(stage: JobStage, now: number): void {
    this.#stage = stage;
    this.#start = { at: now, percent: 0, bytes: 0 };
  }
}

/** "1.2 MB", "410 kB", "900 B" (SI units, as download tools print them). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${Math.round(bytes)} B`;
}

/** "7s", "2m05s", "1h02m". */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Percent, bytes, rate and ETA, each only when known. */
function figures(snapshot: Snapshot): string[] {
  const parts: string[] = [];
  if (snapshot.bytes !== null) {
    parts.push(
      snapshot.totalBytes
        ? `${formatBytes(snapshot.bytes)}/${formatBytes(snapshot.totalBytes)}`
        : formatBytes(snapshot.bytes),
    );
  }
  if (snapshot.rate !== null) parts.push(`${formatBytes(snapshot.rate)}/s`);
  if (snapshot.etaSeconds !== null && (snapshot.percent ?? 0) < 100)
    parts.push(`ETA ${formatDuration(snapshot.etaSeconds)}`);
  return parts;
}

/** The terminal line: label, stage, bar, figures; cut to `columns` so it never wraps. */
export function renderBar(label: string, snapshot: Snapshot, columns: number): string {
  const percent = snapshot.percent ?? 0;
  const filled = Math.round((Math.min(100, percent) / 100) * BAR_WIDTH);
  const bar = `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]`;
  const shown = snapshot.percent === null ? " --%" : `${percent.toFixed(0).padStart(3)}%`;
  const line = [`${label}  ${snapshot.stage.padEnd(11)} ${bar} ${shown}`, ...figures(snapshot)].join("  ");
  return line.length > columns ? line.slice(0, Math.max(0, columns - 1)) : line;
}

/** The plain line for logs: `label: stage 38% 1.2 MB 410 kB/s ETA 3s`. */
export function plainLine(label: string, snapshot: Snapshot): string {
  const percent = snapshot.percent === null ? [] : [`${snapshot.percent.toFixed(0)}%`];
  return [`${label}: ${snapshot.stage}`, ...percent, ...figures(snapshot)].join(" ");
}

export interface ProgressOutput {
  /** Shows one of the clip's job events. */
  event(event: JobEvent): void;
  /** The clip ended: the bar's line is replaced by `summary`. */
  end(summary: string): void;
}

/**
 * One clip's progress on `stream`: the bar redrawn with Node's TTY tools when `stream` is a
 * terminal, else a plain line whenever the stage or the rounded figures change.
 */
export function progressOutput(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressOutput {
  const tracker = new ProgressTracker();
  let last = "";
  const redraw = (line: string) => {
    stream.cursorTo(0);
    stream.clearLine(0);
    stream.write(line);
  };
  return {
    event(event) {
      const snapshot = tracker.update(event, performance.now());
      if (!snapshot) return;
      if (stream.isTTY) return redraw(renderBar(label, snapshot, stream.columns || 80));
      // Rate and ETA change on every event: only the stage and percent make a new plain line.
      const line = plainLine(label, { ...snapshot, rate: null, etaSeconds: null });
      if (line === last) return;
      last = line;
      stream.write(`${plainLine(label, snapshot)}\n`);
    },
    end(summary) {
      if (stream.isTTY) redraw(`${label}  ${summary}\n`);
      else stream.write(`${label}: ${summary}\n`);
    },
  };
}
