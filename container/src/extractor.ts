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
import { ClipAudioError } from "../../shared/errors.ts";
import { extractorCommand } from "./extractor-command.ts";
import { type ExtractorReply, ExtractorWorker } from "./extractor-worker.ts";
import type { RunLimits } from "./subprocess.ts";

export type { ExtractorReply } from "./extractor-worker.ts";

/** A worker above this after a reply is retired: yt-dlp's caches must not grow without end. */
export const MAX_WORKER_RSS_BYTES = 300 * 1024 * 1024;
/** Requests a worker serves before it is retired, whatever its size. */
export const MAX_REQUESTS = 200;
/** Python start plus `import yt_dlp`: generous for a loaded 2-core machine. */
const START_TIMEOUT_MS = 30_000;

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
  private readonly idleWorkers: ExtractorWorker[] = [];
  private readonly waiting: ((worker: ExtractorWorker) => void)[] = [];
  private live = 0;
  private all: ExtractorWorker[] = [];
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

  private spawn(): ExtractorWorker {
    this.live++;
    const worker = new ExtractorWorker((gone) => this.forget(gone), this.build);
    this.all.push(worker);
    // A worker that fails to start is forgotten like one that dies; its error reaches the request.
    worker.ready.catch(() => undefined);
    return worker;
  }

  private forget(worker: ExtractorWorker): void {
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

  private acquire(): Promise<ExtractorWorker> {
    const idle = this.idleWorkers.pop();
    if (idle) return Promise.resolve(idle);
    if (this.live < this.size) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(worker: ExtractorWorker): void {
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
