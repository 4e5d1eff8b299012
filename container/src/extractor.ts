/**
 * A small pool of resident yt-dlp extractors (extractor.py): long-lived Python processes with
 * `yt_dlp` imported once, asked over JSON lines to extract a URL and select its format. A yt-dlp
 * command pays Python's start and import (~0.6 s) on every call; a warm worker answers in
 * ~0.05 s. The same pool serves the CLI, the local stack and the image.
 *
 * A worker that does not answer in time is killed (SIGKILL) and replaced; one that dies is
 * replaced; one that grows past MAX_WORKER_RSS_BYTES or has served MAX_REQUESTS is retired
 * after its reply. Workers run with the tools' minimal environment (toolEnv). Idle workers do
 * not keep Node's event loop alive, so a CLI run ends when its work does.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { closeSync, openSync, readSync } from "node:fs";
import { delimiter, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ClipAudioError } from "../../shared/errors.ts";
import { KILL_GRACE_MS, type RunLimits, toolEnv } from "./subprocess.ts";

const SCRIPT = fileURLToPath(new URL("./extractor.py", import.meta.url));
/** A worker above this after a reply is retired: yt-dlp's caches must not grow without end. */
export const MAX_WORKER_RSS_BYTES = 300 * 1024 * 1024;
/** Requests a worker serves before it is retired, whatever its size. */
export const MAX_REQUESTS = 200;
/** Python start plus `import yt_dlp`: generous for a loaded 2-core machine. */
const START_TIMEOUT_MS = 30_000;
const STDERR_KEEP_CHARS = 4_000;

export type ExtractorReply = { ok: true; info: unknown } | { ok: false; stderr: string };

interface Pending {
  resolve: (reply: ExtractorReply) => void;
  reject: (error: Error) => void;
}

/** `{ unref, ref }` of a child's pipes: sockets, typed as plain streams by Node. */
function setRef(stream: unknown, on: boolean): void {
  const handle = stream as { ref?: () => void; unref?: () => void };
  if (on) handle.ref?.();
  else handle.unref?.();
}

/** The first directory on PATH holding `name`, or null. */
function onPath(name: string, path: string | undefined): string | null {
  for (const dir of (path ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      closeSync(openSync(candidate, "r"));
      return candidate;
    } catch {}
  }
  return null;
}

/**
 * The Python that runs the installed yt-dlp: its launcher's shebang (`#!/usr/bin/python3` for
 * Debian's, `#!/usr/bin/env python3` for the release zipapp), else python3. The worker imports
 * the yt-dlp the command would run: the zipapp itself, or the package the launcher imports.
 */
export function extractorCommand(
  env: Record<string, string> = toolEnv(),
  build?: string,
): { file: string; args: string[] } {
  // A channel build (ytdlp-channel/builds.ts) is a zipapp named by path; else the pinned one on PATH.
  const launcher = build ?? onPath("yt-dlp", env.PATH);
  let python = "python3";
  if (launcher) {
    const head = Buffer.alloc(256);
    const fd = openSync(launcher, "r");
    const length = readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(head.subarray(0, length).toString("latin1").split("\n")[0] ?? "");
    const [interpreter, argument] = [shebang?.[1], shebang?.[2]];
    if (interpreter?.endsWith("/env") && argument?.startsWith("python")) python = argument;
    else if (interpreter && /python[\d.]*$/.test(interpreter)) python = interpreter;
  }
  return { file: python, args: ["-u", SCRIPT, launcher ?? ""] };
}

class Worker {
  readonly child: ChildProcessWithoutNullStreams;
  readonly ready: Promise<void>;
  private pending: Pending | null = null;
  private stderr = "";
  served = 0;
  rss = 0;
  dead = false;
  /** Killed: forgotten when its exit arrives, never handed out again. */
  killed = false;

  private readonly onExit: (worker: Worker) => void;

  constructor(onExit: (worker: Worker) => void, build?: string) {
    this.onExit = onExit;
    const command = extractorCommand(toolEnv(), build);
    this.child = spawn(command.file, command.args, { env: toolEnv(), stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr.on("data", (data: Buffer) => {
      this.stderr = (this.stderr + data.toString("utf8")).slice(-STDERR_KEEP_CHARS);
    });
    let started: (() => void) | null = null;
    this.ready = new Promise<void>((resolve, reject) => {
      started = resolve;
      this.pending = { resolve: () => resolve(), reject };
    });
    const lines = createInterface({ input: this.child.stdout });
    lines.on("line", (line) => this.onLine(line, started));
    this.child.on("error", (error) => this.fail(error));
    this.child.on("exit", (code, signal) => this.fail(new Error(`exit ${code ?? signal}`)));
    this.child.stdin.on("error", () => undefined);
  }

  private onLine(line: string, started: (() => void) | null): void {
    const pending = this.pending;
    this.pending = null;
    let reply: (ExtractorReply & { rss?: number; ready?: boolean }) | null = null;
    try {
      reply = JSON.parse(line);
    } catch {
      pending?.reject(new Error(`unreadable reply: ${line.slice(0, 200)}`));
      this.kill();
      return;
    }
    if (reply?.ready) {
      started?.();
      // Until now a caller may have been waiting for the start: idle, it must not hold Node open.
      if (!this.pending) this.idle();
      return;
    }
    this.rss = reply?.rss ?? 0;
    if (reply) pending?.resolve(reply);
  }

  private fail(error: Error): void {
    if (this.dead) return;
    this.dead = true;
    const tail = this.stderr.trim().slice(-600);
    // The code stays: ENOENT (no Python to run) is a missing tool, not a worker that died.
    const code = (error as NodeJS.ErrnoException).code;
    this.pending?.reject(Object.assign(new Error(`${error.message}${tail ? `: ${tail}` : ""}`), { code }));
    this.pending = null;
    this.onExit(this);
  }

  /** One extraction; rejects (and the caller kills the worker) when the worker fails. */
  request(url: string, args: string[]): Promise<ExtractorReply> {
    this.served++;
    this.busy();
    return new Promise<ExtractorReply>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.child.stdin.write(`${JSON.stringify({ url, args })}\n`);
    }).finally(() => this.idle());
  }

  private busy(): void {
    this.child.ref();
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr]) setRef(stream, true);
  }

  private idle(): void {
    this.child.unref();
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr]) setRef(stream, false);
  }

  kill(): void {
    this.killed = true;
    this.child.kill("SIGKILL");
  }

  /** Lets the worker finish at end of input; killed if it lingers. */
  retire(): void {
    this.dead = true;
    this.child.stdin.end();
    setTimeout(() => this.child.kill("SIGKILL"), KILL_GRACE_MS).unref();
  }
}

/** Fails a request: ours (timeout, cancel) or the worker's death. */
function requestFailure(kind: "timeout" | "cancelled" | "died", timeoutMs: number, detail = ""): ClipAudioError {
  if (kind === "timeout") {
    return new ClipAudioError(
      "timeout",
      `Reading the source with yt-dlp timed out after ${Math.round(timeoutMs / 1000)} s`,
    );
  }
  if (kind === "cancelled") return new ClipAudioError("cancelled", "Reading the source with yt-dlp was cancelled");
  return new ClipAudioError("download_failed", `yt-dlp's extractor process failed (${detail}); it is replaced`);
}

export class ExtractorPool {
  private readonly idleWorkers: Worker[] = [];
  private readonly waiting: ((worker: Worker) => void)[] = [];
  private live = 0;
  private all: Worker[] = [];
  size: number;
  private readonly limits: { maxRequests: number; maxRssBytes: number };
  /** The channel build's zipapp these workers import; undefined: the pinned yt-dlp on PATH. */
  readonly build: string | undefined;

  constructor(size: number, limits: Partial<ExtractorPool["limits"]> = {}, build?: string) {
    this.size = size;
    this.limits = { maxRequests: MAX_REQUESTS, maxRssBytes: MAX_WORKER_RSS_BYTES, ...limits };
    this.build = build;
  }

  /** Starts the workers now, so the first job does not wait for Python's import. */
  warm(): void {
    while (this.live < this.size) this.idleWorkers.push(this.spawn());
  }

  /** Process ids of the running workers (for tests and the benchmark's memory figure). */
  pids(): number[] {
    return this.all.map((worker) => worker.child.pid).filter((pid): pid is number => pid !== undefined);
  }

  private spawn(): Worker {
    this.live++;
    const worker = new Worker((gone) => this.forget(gone), this.build);
    this.all.push(worker);
    // A worker that fails to start is forgotten like one that dies; its error reaches the request.
    worker.ready.catch(() => undefined);
    return worker;
  }

  private forget(worker: Worker): void {
    const index = this.all.indexOf(worker);
    if (index < 0) return;
    this.all.splice(index, 1);
    this.live--;
    const idle = this.idleWorkers.indexOf(worker);
    if (idle >= 0) this.idleWorkers.splice(idle, 1);
    // Someone waits for a worker and there is room now: start one for them.
    const next = this.waiting.shift();
    if (next) next(this.spawn());
  }

  private acquire(): Promise<Worker> {
    const idle = this.idleWorkers.pop();
    if (idle) return Promise.resolve(idle);
    if (this.live < this.size) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(worker: Worker): void {
    if (worker.dead || worker.killed) return;
    if (worker.rss > this.limits.maxRssBytes || worker.served >= this.limits.maxRequests) {
      worker.retire();
      this.forget(worker);
      return;
    }
    const next = this.waiting.shift();
    if (next) next(worker);
    else this.idleWorkers.push(worker);
  }

  /** Extracts `url` with yt-dlp options `args`; the reply says what yt-dlp found or printed. */
  async extract(url: string, args: string[], limits: RunLimits): Promise<ExtractorReply> {
    if (limits.signal?.aborted) throw requestFailure("cancelled", limits.timeoutMs);
    const worker = await this.acquire();
    let timer: NodeJS.Timeout | undefined;
    let arm: (ms: number) => void = () => undefined;
    const onAbort = () => worker.kill();
    const interrupted = new Promise<never>((_, reject) => {
      arm = (ms) => {
        clearTimeout(timer);
        timer = setTimeout(() => reject(requestFailure("timeout", limits.timeoutMs)), ms);
      };
      limits.signal?.addEventListener("abort", () => reject(requestFailure("cancelled", limits.timeoutMs)), {
        once: true,
      });
    });
    interrupted.catch(() => undefined);
    limits.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      arm(START_TIMEOUT_MS);
      await Promise.race([worker.ready, interrupted]);
      arm(limits.timeoutMs);
      return await Promise.race([worker.request(url, args), interrupted]);
    } catch (error) {
      // A worker interrupted mid-request is in an unknown state: it goes, a new one takes its place.
      worker.kill();
      if (error instanceof ClipAudioError) throw error;
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        const python = extractorCommand().file;
        throw new ClipAudioError(
          "tool_missing",
          `Reading the source with yt-dlp could not start: ${python} is not installed or not on PATH`,
          { cause: error },
        );
      }
      throw requestFailure("died", limits.timeoutMs, (error as Error).message ?? String(error));
    } finally {
      clearTimeout(timer);
      limits.signal?.removeEventListener("abort", onAbort);
      this.release(worker);
    }
  }

  /** Ends every worker (tests; a server shutting down). */
  close(): void {
    for (const worker of [...this.all]) worker.retire();
    this.all = [];
    this.idleWorkers.length = 0;
    this.live = 0;
  }
}

let shared: ExtractorPool | null = null;

/** The process's pool, `size` workers at most (JOB_CONCURRENCY: one per job that can run at once). */
export function extractors(size = 2): ExtractorPool {
  shared ??= new ExtractorPool(size);
  if (size > shared.size) shared.size = size;
  return shared;
}
