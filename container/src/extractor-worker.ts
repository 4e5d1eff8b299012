/**
 * One resident yt-dlp extractor: a Python process (extractor.py) with `yt_dlp` imported once,
 * asked over JSON lines to extract a URL. It reports its RSS with each reply so the pool can
 * retire it; idle, it does not keep Node's event loop alive. The pool (extractor.ts) decides
 * when it is killed, replaced or retired.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { extractorCommand } from "./extractor-command.ts";
import { KILL_GRACE_MS, toolEnv } from "./subprocess.ts";

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

export class ExtractorWorker {
  readonly child: ChildProcessWithoutNullStreams;
  readonly ready: Promise<void>;
  private pending: Pending | null = null;
  private stderr = "";
  served = 0;
  rss = 0;
  dead = false;
  /** Killed: forgotten when its exit arrives, never handed out again. */
  killed = false;

  private readonly onExit: (worker: ExtractorWorker) => void;

  constructor(onExit: (worker: ExtractorWorker) => void, build?: string) {
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
