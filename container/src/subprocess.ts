/**
 * How every subprocess is run: an argv array, a timeout, the job's cancel signal, a forced
 * kill after a grace period, and a failure turned into a typed error with a short stderr tail.
 */
import type { ChildProcess } from "node:child_process";
import { ExecaError, execa, type Options } from "execa";
import { ClipAudioError, type ErrorCode } from "../../shared/errors.ts";

/** How long a killed process gets to exit before SIGKILL. */
export const KILL_GRACE_MS = 2_000;
const STDERR_TAIL_CHARS = 600;

export interface RunLimits {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * What a tool may see of our environment: where programs, home and temp are, the locale, CA
 * bundles and proxies. Never the HMAC secret or the bucket's keys: yt-dlp and ffmpeg fetch URLs
 * that come from outside, and a tool (or a plugin, or a crash report) has no business with them.
 */
const TOOL_ENV_NAMES = [
  "PATH",
  "HOME",
  "TMPDIR",
  "LANG",
  "LC_ALL",
  "TZ",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "REQUESTS_CA_BUNDLE",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
] as const;

/** The environment subprocesses get: `TOOL_ENV_NAMES` only, taken from `env`. */
export function toolEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of TOOL_ENV_NAMES) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** The options every subprocess gets. */
export function processOptions(limits: RunLimits): Options {
  return {
    env: toolEnv(),
    extendEnv: false,
    timeout: limits.timeoutMs,
    cancelSignal: limits.signal,
    forceKillAfterDelay: KILL_GRACE_MS,
    stdin: "ignore",
    cleanup: true,
  };
}

/** Process groups of tools still running: ended with the engine, which execa does not do for them. */
const liveGroups = new Set<number>();
process.once("exit", () => {
  for (const pid of liveGroups) signalGroup(pid, "SIGKILL");
});

/**
 * Starts a tool that starts tools of its own (yt-dlp runs ffmpeg for HLS and
 * `--download-sections`) in a process group of its own, and ends the group with it: execa's
 * cancel and timeout signal the tool alone, which would leave its ffmpeg running. A cancel
 * signals the whole group at once; when the tool exits, whatever is left of the group gets
 * SIGTERM, then SIGKILL after KILL_GRACE_MS.
 */
export function startTool<const Extra extends Options>(file: string, args: string[], limits: RunLimits, extra: Extra) {
  const subprocess = execa(file, args, { ...processOptions(limits), ...extra, detached: true });
  const pid = subprocess.pid;
  if (pid === undefined) return subprocess; // it did not start: execa rejects with the reason
  liveGroups.add(pid);
  const onCancel = () => signalGroup(pid, "SIGTERM");
  limits.signal?.addEventListener("abort", onCancel, { once: true });
  // The ChildProcess's own exit: the promise would also wait for the group to close stdout.
  (subprocess as unknown as ChildProcess).once("exit", () => {
    limits.signal?.removeEventListener("abort", onCancel);
    liveGroups.delete(pid);
    if (signalGroup(pid, "SIGTERM")) setTimeout(() => signalGroup(pid, "SIGKILL"), KILL_GRACE_MS).unref();
  });
  return subprocess;
}

/** Signals every process of the group `pid` leads; false when none is left. */
function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** The last lines of stderr, without URLs (they may carry signed tokens). */
export function stderrTail(stderr: unknown): string {
  const text = typeof stderr === "string" ? stderr : "";
  const tail = text.trim().slice(-STDERR_TAIL_CHARS);
  return tail.replace(/https?:\/\/\S+/g, "<url>");
}

export type Classifier = (stderr: string) => { code: ErrorCode; message: string } | null;

/**
 * Maps a failed subprocess to a ClipAudioError: cancel and timeout first (they are ours),
 * then whatever `classify` reads from stderr, else `fallback`.
 */
export function subprocessError(
  error: unknown,
  what: string,
  fallback: ErrorCode,
  classify: Classifier = () => null,
  timeoutMs?: number,
): ClipAudioError {
  if (error instanceof ClipAudioError) return error;
  if (!(error instanceof ExecaError)) {
    return new ClipAudioError(fallback, `${what} failed: ${String(error)}`, { cause: error });
  }
  if (error.code === "ENOENT") return missingTool(what, error);
  if (error.isCanceled) return new ClipAudioError("cancelled", `${what} was cancelled`, { cause: error });
  if (error.timedOut) {
    const limit = timeoutMs ? ` after ${Math.round(timeoutMs / 1000)} s` : "";
    return new ClipAudioError("timeout", `${what} timed out${limit}`, { cause: error });
  }
  const tail = stderrTail(error.stderr);
  const known = classify(tail);
  if (known) return new ClipAudioError(known.code, known.message, { cause: error });
  const exit = error.exitCode ?? error.signal ?? "unknown";
  return new ClipAudioError(fallback, `${what} failed (exit ${exit})${tail ? `: ${tail}` : ""}`, { cause: error });
}

/** A tool that is not installed (spawn ENOENT): retrying cannot help until it is. */
function missingTool(what: string, error: ExecaError): ClipAudioError {
  const file = (error.cause as { path?: string } | undefined)?.path ?? "the tool";
  return new ClipAudioError("tool_missing", `${what} could not start: ${file} is not installed or not on PATH`, {
    cause: error,
  });
}

/** Runs a short command and returns its stdout, or throws a typed error. */
export async function runText(
  file: string,
  args: string[],
  limits: RunLimits,
  what: string,
  fallback: ErrorCode,
  classify?: Classifier,
): Promise<string> {
  try {
    const result = await execa(file, args, { ...processOptions(limits), stripFinalNewline: true });
    return String(result.stdout);
  } catch (error) {
    throw subprocessError(error, what, fallback, classify, limits.timeoutMs);
  }
}

/** First line of `<tool> <versionFlag>`, or null when the tool cannot run. */
export async function toolVersion(file: string, flag: string): Promise<string | null> {
  try {
    const { stdout } = await execa(file, [flag], {
      timeout: 10_000,
      stdin: "ignore",
      env: toolEnv(),
      extendEnv: false,
    });
    return String(stdout).split("\n")[0]?.trim() || null;
  } catch {
    return null;
  }
}
