/**
 * The engine as a command line, with no cloud account needed:
 *
 *   npm run cli -- process <clip ids or URLs...> [--out DIR] [--force] [--no-video] [--json]
 *   npm run cli -- --version      the engine, ffmpeg and yt-dlp versions (and yt-dlp's age)
 *   --yt-dlp-channel stable|nightly  (with either) that channel's newest yt-dlp build, verified
 *                                    against yt-dlp's signing key, instead of the one on PATH
 *
 * Same environment names as the service. With S3 settings (S3_ENDPOINT or CLOUDFLARE_ACCOUNT_ID
 * plus R2_ACCESS_KEY_ID/R2_SECRET_ACCESS_KEY) it writes to the bucket; otherwise the bucket
 * layout goes under --out (default ./output). Progress goes to stderr, the summary table (or,
 * with --json, one CliReport document) to stdout. Exits 1 when any clip failed, 2 on bad usage
 * or when ffmpeg, yt-dlp or its Python is missing (found before anything is downloaded).
 */
// First: how soon V8 frees dead Buffers, before any media byte passes (heap.ts).
import "./heap.ts";
import { mkdir } from "node:fs/promises";
import { parseArgs } from "node:util";
import { ConfigError } from "../../shared/config.ts";
import { describeYtDlp, staleYtDlpWarning } from "../../shared/ytdlp-age.ts";
import { type ClipOutcome, type CliReport, failed, outcomeLine, succeeded, summaryTable } from "./cli-report.ts";
import { loadConfig } from "./config.ts";
import { ENGINE_VERSION, processClip } from "./pipeline.ts";
import { progressOutput } from "./progress-bar.ts";
import { createSink } from "./sinks/index.ts";
import { missingTools, toolVersions } from "./tools.ts";
import type { LocalBuild } from "./ytdlp-channel/builds.ts";
import { ChannelChoiceError, cliBuild, describeBuild } from "./ytdlp-channel/cli-channel.ts";
import { extractorsFor } from "./ytdlp-channel/pools.ts";

const USAGE =
  "usage: npm run cli -- process <clip ids or URLs...> [--out DIR] [--force] [--no-video] [--json] [--yt-dlp-channel stable|nightly]\n" +
  "       npm run cli -- --version [--yt-dlp-channel stable|nightly]";

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
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", short: "V", default: false },
        "yt-dlp-channel": { type: "string" },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
}

/** Which tools the engine runs, and whether yt-dlp is likely too old for Twitch. */
async function printVersions(build: LocalBuild | undefined): Promise<void> {
  const tools = await toolVersions();
  const now = new Date();
  const ytDlp = build ? describeBuild(build, now) : describeYtDlp(tools.ytDlp, now);
  console.log(`${ENGINE_VERSION}\nffmpeg ${tools.ffmpeg ?? "not found"}\n${ytDlp}`);
  const warning = staleYtDlpWarning(build?.build.tag ?? tools.ytDlp, now);
  if (warning) console.log(`warning: ${warning}`);
}

/** The channel build chosen with --yt-dlp-channel (exit 2 when it cannot be used), else undefined. */
async function channelBuild(channel: string | undefined): Promise<LocalBuild | undefined> {
  if (channel === undefined) return undefined;
  try {
    return await cliBuild(channel, loadConfig().WORK_DIR);
  } catch (error) {
    if (error instanceof ChannelChoiceError || error instanceof ConfigError) usage(error.message);
    throw error;
  }
}

/** Exit 2 before any work when a program a clip needs is not installed: every clip would fail. */
function requireTools(): void {
  const missing = missingTools();
  if (missing.length === 0) return;
  for (const tool of missing) console.error(tool.message);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values, positionals } = parse();
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const build = await channelBuild(values["yt-dlp-channel"]);
  if (values.version) return printVersions(build);
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
  requireTools();
  // The clips run one after another: one resident extractor, started now so Python's import
  // overlaps the checks below (the version check alone starts a yt-dlp process).
  extractorsFor(1, build?.path).warm();
  const sink = createSink(config);
  await mkdir(config.WORK_DIR, { recursive: true });
  console.error(`writing to ${sink.description}`);
  if (build) console.error(`running ${describeBuild(build, new Date())}`);
  const stale = staleYtDlpWarning(build?.build.tag ?? (await toolVersions()).ytDlp, new Date());
  if (stale) console.error(`warning: ${stale}`);

  const abort = new AbortController();
  process.once("SIGINT", () => abort.abort());
  const outcomes: ClipOutcome[] = [];
  for (const input of inputs) {
    const started = performance.now();
    const progress = progressOutput(input);
    const seconds = () => (performance.now() - started) / 1000;
    let outcome: ClipOutcome;
    try {
      const result = await processClip(input, {
        config,
        sink,
        force: values.force,
        ...(values["no-video"] ? { storeVideo: false } : {}),
        signal: abort.signal,
        build,
        onEvent: (event) => progress.event(event),
      });
      outcome = succeeded(input, result, seconds());
    } catch (error) {
      outcome = failed(input, error, seconds());
    }
    progress.end(outcomeLine(outcome));
    outcomes.push(outcome);
  }
  sink.close();
  const report: CliReport = {
    destination: sink.description,
    clips: outcomes,
    failed: outcomes.filter((o) => o.status === "failed").length,
  };
  console.log(values.json ? JSON.stringify(report, null, 2) : summaryTable(outcomes));
  process.exitCode = report.failed > 0 ? 1 : 0;
}

await main();
