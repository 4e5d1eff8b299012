/**
 * Jobs of the engine: at most JOB_CONCURRENCY run at once, one per clip. A second
 * request for a clip that is running joins it and receives every event from the start, so
 * duplicate requests never download twice. The engine owns a job once started: it runs to its
 * end whether or not anyone still listens, and its final event is kept for RESULT_RETENTION_MS
 * so the Worker can follow a job that outlasts one of its alarms (`follow`).
 *
 * On SIGTERM the engine drains (`drain`): no new job starts, the running and queued ones get
 * DRAIN_SECONDS to end, and whatever is still running then is cut off as `engine_restarting`,
 * which the Worker starts again on a new instance without counting it as a failed attempt.
 */
import PQueue from "p-queue";
import { ClipAudioError } from "../../shared/errors.ts";
import type { EngineTools, FinalJobEvent, JobEvent, JobRequest } from "../../shared/job.ts";
import { log } from "../../shared/log.ts";
import type { EngineConfig } from "./config.ts";
import { processClip } from "./pipeline.ts";
import { DiscardSink } from "./sinks/discard.ts";
import type { Sink } from "./sinks/sink.ts";
import { toolVersions } from "./tools.ts";
import type { LocalBuild } from "./ytdlp-channel/builds.ts";
import { jobBuild } from "./ytdlp-channel/job-build.ts";

/** How long a finished job's final event stays available to followers. */
export const RESULT_RETENTION_MS = 30 * 60_000;

type Listener = (event: JobEvent) => void;

interface Job {
  key: string;
  clipId: string;
  events: JobEvent[];
  listeners: Set<Listener>;
  abort: AbortController;
  /** Set when a drain cut the job off: its failure is `engine_restarting`, not `cancelled`. */
  interrupted: boolean;
  done: Promise<void>;
}

export class JobManager {
  readonly #config: EngineConfig;
  readonly #sink: Sink;
  readonly #jobs = new Map<string, Job>();
  readonly #finished = new Map<string, { event: FinalJobEvent; at: number }>();
  /** At most JOB_CONCURRENCY jobs run; the rest wait here in order. */
  readonly #slots: PQueue;
  #draining = false;

  /** Where this engine keeps its work, channel builds included (ytdlp-channel/builds.ts). */
  get workDir(): string {
    return this.#config.WORK_DIR;
  }

  constructor(config: EngineConfig, sink: Sink) {
    this.#config = config;
    this.#sink = sink;
    this.#slots = new PQueue({ concurrency: config.JOB_CONCURRENCY });
  }

  get active(): number {
    return this.#jobs.size;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /**
   * Starts the clip's job, or joins the one running; `listener` gets every event, in order. A
   * `follow` request for a job that ended recently gets its final event instead of a new run.
   * While draining, a job that would have to start is refused with `engine_restarting`.
   */
  subscribe(request: JobRequest, listener: Listener): { done: Promise<void>; unsubscribe: () => void } {
    const key = jobKey(request);
    const finished = request.follow ? this.#recentResult(key) : null;
    if (finished && !this.#jobs.has(key)) {
      listener(finished);
      return { done: Promise.resolve(), unsubscribe: () => undefined };
    }
    const running = this.#jobs.get(key);
    if (!running && this.#draining) throw draining();
    const job = running ?? this.#start(request);
    for (const event of job.events) listener(event);
    job.listeners.add(listener);
    return { done: job.done, unsubscribe: () => job.listeners.delete(listener) };
  }

  #recentResult(key: string): FinalJobEvent | null {
    const now = Date.now();
    for (const [k, entry] of this.#finished) if (now - entry.at > RESULT_RETENTION_MS) this.#finished.delete(k);
    return this.#finished.get(key)?.event ?? null;
  }

  cancel(clipId: string): boolean {
    const job = this.#jobs.get(jobKey({ clip_id: clipId, canary: false }));
    job?.abort.abort();
    return job !== undefined;
  }

  /**
   * SIGTERM: refuses new jobs, lets the running and queued ones end within `graceMs`, then cuts
   * off the rest (`engine_restarting`) and waits for their final events.
   */
  async drain(graceMs: number): Promise<void> {
    this.#draining = true;
    const jobs = [...this.#jobs.values()];
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.all(jobs.map((job) => job.done)), deadline]);
    clearTimeout(timer);
    for (const job of this.#jobs.values()) {
      job.interrupted = true;
      job.abort.abort();
    }
    await Promise.all([...this.#jobs.values()].map((job) => job.done));
  }

  #start(request: JobRequest): Job {
    const key = jobKey(request);
    const job: Job = {
      key,
      clipId: request.clip_id,
      events: [],
      listeners: new Set(),
      abort: new AbortController(),
      interrupted: false,
      done: Promise.resolve(),
    };
    const emit = (event: JobEvent) => {
      job.events.push(event);
      for (const listener of job.listeners) listener(event);
    };
    this.#jobs.set(key, job);
    job.done = this.#run(request, job, emit).finally(() => this.#jobs.delete(key));
    return job;
  }

  async #run(request: JobRequest, job: Job, emit: Listener): Promise<void> {
    const build = await jobBuild(this.#config.WORK_DIR, request);
    try {
      const options = {
        build,
        config: this.#config,
        sink: request.canary ? new DiscardSink() : this.#sink,
        force: request.force,
        knownNew: request.known_new,
        signal: job.abort.signal,
        onEvent: (event: JobEvent) => {
          // Progress is not replayed to late joiners: only the latest matters.
          if (event.type === "progress") for (const listener of job.listeners) listener(event);
          else emit(event);
        },
        ...(request.store_video === undefined ? {} : { storeVideo: request.store_video }),
      };
      const result = await this.#inSlot(job.abort.signal, () => processClip(request.clip_id, options));
      this.#end(job, emit, { type: "completed", result, tools: await engineTools(build) });
    } catch (error) {
      const failure = job.interrupted
        ? new ClipAudioError(
            "engine_restarting",
            "The engine stopped (SIGTERM: a rollout or a host move) before the job ended; it is started again on a new instance",
          )
        : error instanceof ClipAudioError
          ? error
          : new ClipAudioError("internal", `Unexpected engine error: ${(error as Error)?.message ?? String(error)}`);
      if (!(error instanceof ClipAudioError))
        log("error", { msg: "job crashed", clip_id: job.clipId, error: String(error) });
      this.#end(job, emit, { type: "failed", error: failure.toJSON(), tools: await engineTools(build) });
    }
  }

  /**
   * Runs `work` once a slot is free. A job cancelled while it waits leaves the queue at once; once
   * it runs, its cancel reaches `work` (processClip), which is awaited to its end (temp files,
   * subprocesses), so the queue's own abort must not fire then.
   */
  async #inSlot<T>(cancel: AbortSignal, work: () => Promise<T>): Promise<T> {
    const waiting = new AbortController();
    const leaveQueue = () => waiting.abort(new ClipAudioError("cancelled", "The job was cancelled while queued"));
    if (cancel.aborted) leaveQueue();
    cancel.addEventListener("abort", leaveQueue, { once: true });
    return this.#slots.add(
      () => {
        cancel.removeEventListener("abort", leaveQueue);
        return work();
      },
      { signal: waiting.signal },
    );
  }

  #end(job: Job, emit: Listener, event: FinalJobEvent): void {
    this.#finished.set(job.key, { event, at: Date.now() });
    emit(event);
  }
}

function draining(): ClipAudioError {
  return new ClipAudioError("engine_restarting", "The engine is shutting down (SIGTERM); start the job again shortly");
}

/**
 * Canary runs never join (or are joined by) a real job of the same clip, nor a canary run on
 * another yt-dlp build: a build on trial must be the one that ran.
 */
function jobKey(request: Pick<JobRequest, "clip_id" | "canary" | "extractor">): string {
  return request.canary ? `canary:${request.extractor?.sha256 ?? "pin"}:${request.clip_id}` : request.clip_id;
}

/** What ran the job: a channel build reports its release tag and identity, the pin its version. */
async function engineTools(build: LocalBuild | undefined): Promise<EngineTools> {
  const tools = await toolVersions();
  return { ffmpeg: tools.ffmpeg, yt_dlp: build?.build.tag ?? tools.ytDlp, yt_dlp_build: build?.build ?? null };
}
