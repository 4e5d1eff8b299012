/**
 * What the CLI reports when its clips are done: one outcome per input, printed as a table for
 * people or, with --json, as one JSON document (CliReport) for scripts.
 */
import { z } from "zod";
import { ClipAudioError, JobError } from "../../shared/errors.ts";
import type { JobResult } from "../../shared/job.ts";
import { formatBytes } from "./progress-bar.ts";

export const ClipOutcome = z.object({
  /** As given on the command line (a clip id or a URL). */
  input: z.string(),
  status: z.enum(["ok", "skipped", "failed"]),
  /** The rest is null when the clip failed. */
  clip_id: z.string().nullable(),
  duration_s: z.number().nonnegative().nullable(),
  /** 0 when the clip is short enough to stay whole. */
  chunks: z.number().int().nonnegative().nullable(),
  /** Size of the clip's WAV. */
  wav_bytes: z.number().int().nonnegative().nullable(),
  files: z.array(z.string()),
  /** Wall-clock seconds this clip took. */
  seconds: z.number().nonnegative(),
  error: JobError.nullable(),
});
export type ClipOutcome = z.infer<typeof ClipOutcome>;

/** `npm run cli -- process … --json` prints exactly this on stdout. */
export const CliReport = z.object({
  /** Where artifacts went: `folder …` or `bucket … at host`. */
  destination: z.string(),
  clips: z.array(ClipOutcome),
  failed: z.number().int().nonnegative(),
});
export type CliReport = z.infer<typeof CliReport>;

export function succeeded(input: string, result: JobResult, seconds: number): ClipOutcome {
  return {
    input,
    status: result.skipped ? "skipped" : "ok",
    clip_id: result.clip_id,
    duration_s: result.duration_s,
    chunks: result.manifest.chunks.length,
    wav_bytes: result.manifest.bytes,
    files: result.files_uploaded,
    seconds,
    error: null,
  };
}

export function failed(input: string, error: unknown, seconds: number): ClipOutcome {
  const typed =
    error instanceof ClipAudioError
      ? error
      : new ClipAudioError("internal", `Unexpected engine error: ${String(error)}`);
  return {
    input,
    status: "failed",
    clip_id: null,
    duration_s: null,
    chunks: null,
    wav_bytes: null,
    files: [],
    seconds,
    error: typed.toJSON(),
  };
}

/** The line that replaces a clip's progress bar when it ends. */
export function outcomeLine(outcome: ClipOutcome): string {
  if (outcome.error) return `failed: ${outcome.error.code}`;
  return `${outcome.status} in ${outcome.seconds.toFixed(1)} s`;
}

/**
 * The summary table: clip, status, duration, chunks, size (of the WAV), time, and the error
 * column only when something failed.
 */
export function summaryTable(outcomes: ClipOutcome[]): string {
  const anyFailed = outcomes.some((o) => o.error);
  const headers = ["clip", "status", "duration", "chunks", "size", "time", ...(anyFailed ? ["error"] : [])];
  const cells = outcomes.map((o) => [
    o.input,
    o.status,
    o.duration_s === null ? "-" : `${o.duration_s.toFixed(1)} s`,
    o.chunks === null ? "-" : String(o.chunks),
    o.wav_bytes === null ? "-" : formatBytes(o.wav_bytes),
    `${o.seconds.toFixed(1)} s`,
    ...(anyFailed ? [o.error ? `${o.error.code}: ${o.error.message}` : ""] : []),
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  // Figures right-aligned, so their units line up.
  const numeric = (i: number) => i >= 2 && i <= 5;
  const format = (values: string[]) =>
    values
      .map((v, i) => (numeric(i) ? v.padStart(widths[i] as number) : v.padEnd(widths[i] as number)))
      .join("  ")
      .trimEnd();
  return [headers, widths.map((w) => "-".repeat(w)), ...cells].map(format).join("\n");
}
