/**
 * The engine as a command line, with no cloud account needed:
 *
 *   npm run cli -- process <clip ids or URLs...> [--out DIR] [--force] [--no-video]
 *   npm run cli -- --version      the engine, ffmpeg and yt-dlp versions (and yt-dlp's age)
 *
 * Same environment names as the service. With S3 settings (S3_ENDPOINT or CLOUDFLARE_ACCOUNT_ID
 * plus R2_ACCESS_KEY_ID/R2_SECRET_ACCESS_KEY) it writes to the bucket; otherwise the bucket
 * layout goes under --out (default ./output). Exits 1 when any clip failed, 2 on bad usage.
 */
import { mkdir } from "node:fs/promises";
import { parseArgs } from "node:util";
import { ConfigError } from "../../shared/config.ts";
import { ClipAudioError } from "../../shared/errors.ts";
import type { JobEvent, JobResult } from "../../shared/job.ts";
import { describeYtDlp, staleYtDlpWarning } from "../../shared/ytdlp-age.ts";
import { loadConfig } from "./config.ts";
import { extractors } from "./extractor.ts";
import { ENGINE_VERSION, processClip } from "./pipeline.ts";
import { createSink } from "./sinks/index.ts";
import { toolVersions } from "./tools.ts";

const USAGE =
  "usage: npm run cli -- process <clip ids or URLs...> [--out DIR] [--force] [--no-video]\n" +
  "       npm run cli -- --version";
const BAR_WIDTH = 24;

interface Row {
  input: string;
  status: "ok" | "skipped" | "failed";
  detail: string;
  seconds: number;
}

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        out: { type: "string" },
        force: { type: "boolean", default: false },
        "no-video": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", short: "V", default: false },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
}

/** One line per clip: a redrawn bar on a terminal, plain lines elsewhere (logs, CI). */
function progressReporter(input: string) {
  const tty = process.stderr.isTTY;
  let lastLine = "";
  return (event: JobEvent) => {
    let line: string;
    if (event.type === "state") line = `${input}: ${event.stage}`;
    else if (event.type === "progress") {
      const percent = event.percent ?? 0;
      const filled = Math.round((percent / 100) * BAR_WIDTH);
      const bytes = event.bytes ? ` ${(event.bytes / 1e6).toFixed(1)} MB` : "";
      line = tty
        ? `${input}: ${event.stage} [${"#".repeat(filled)}${" ".repeat(BAR_WIDTH - filled)}] ${percent.toFixed(0)}%${bytes}`
        : `${input}: ${event.stage} ${percent.toFixed(0)}%${bytes}`;
      if (!tty && line === lastLine) return;
    } else return;
    lastLine = line;
    if (tty) process.stderr.write(`\r\x1b[2K${line}`);
    else console.error(line);
  };
}

function describe(result: JobResult): string {
  const chunks = result.manifest.chunks.length;
  return `${result.duration_s.toFixed(1)} s${chunks ? `, ${chunks} chunks` : ""}, ${result.files_uploaded.length} files`;
}

function printTable(rows: Row[]): void {
  const headers = ["clip", "status", "time", "detail"];
  const cells = rows.map((r) => [r.input, r.status, `${r.seconds.toFixed(1)} s`, r.detail]);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const format = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd();
  console.log(format(headers));
  console.log(format(widths.map((w) => "-".repeat(w))));
  for (const row of cells) console.log(format(row));
}

/** Which tools the engine runs, and whether yt-dlp is likely too old for Twitch. */
async function printVersions(): Promise<void> {
  const tools = await toolVersions();
  const now = new Date();
  console.log(`${ENGINE_VERSION}\nffmpeg ${tools.ffmpeg ?? "not found"}\n${describeYtDlp(tools.ytDlp, now)}`);
  const warning = staleYtDlpWarning(tools.ytDlp, now);
  if (warning) console.log(`warning: ${warning}`);
}

async function main(): Promise<void> {
  const { values, positionals } = parse();
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.version) return printVersions();
  const [command, ...inputs] = positionals;
  if (command !== "process") usage(command ? `unknown command: ${command}` : "missing command");
  if (inputs.length === 0) usage("no clip ids or URLs given");

  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ ...process.env, ...(values.out ? { OUTPUT_DIR: values.out } : {}) });
  } catch (error) {
    if (error instanceof ConfigError) usage(error.message);
    throw error;
  }
  // The clips run one after another: one resident extractor, started now so Python's import
  // overlaps the checks below (the version check alone starts a yt-dlp process).
  extractors(1).warm();
  const sink = createSink(config);
  await mkdir(config.WORK_DIR, { recursive: true });
  console.error(`writing to ${sink.description}`);
  const stale = staleYtDlpWarning((await toolVersions()).ytDlp, new Date());
  if (stale) console.error(`warning: ${stale}`);

  const abort = new AbortController();
  process.once("SIGINT", () => abort.abort());
  const rows: Row[] = [];
  for (const input of inputs) {
    const started = performance.now();
    try {
      const result = await processClip(input, {
        config,
        sink,
        force: values.force,
        ...(values["no-video"] ? { storeVideo: false } : {}),
        signal: abort.signal,
        onEvent: progressReporter(input),
      });
      rows.push({
        input,
        status: result.skipped ? "skipped" : "ok",
        detail: describe(result),
        seconds: (performance.now() - started) / 1000,
      });
    } catch (error) {
      const failure = error instanceof ClipAudioError ? `${error.code}: ${error.message}` : String(error);
      rows.push({ input, status: "failed", detail: failure, seconds: (performance.now() - started) / 1000 });
    }
    if (process.stderr.isTTY) process.stderr.write("\n");
  }
  sink.close();
  printTable(rows);
  process.exitCode = rows.some((r) => r.status === "failed") ? 1 : 0;
}

await main();
