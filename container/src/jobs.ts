/**
 * Jobs of the container service: at most JOB_CONCURRENCY run at once, one per clip. A second
 * request for a clip that is running joins it and receives every event from the start, so
 * duplicate requests never download twice.
 */
import { ClipAudioError } from "../../shared/errors.ts";
import type { JobEvent, JobRequest } from "../../shared/job.ts";
import type { ContainerConfig } from "./config.ts";
import { processClip } from "./pipeline.ts";
import type { Sink } from "./sinks/sink.ts";

type Listener = (event: JobEvent) => void;

interface Job {
  clipId: string;
  events: JobEvent[];
  listeners: Set<Listener>;
  abort: AbortController;
  done: Promise<void>;
}

export class JobManager {
  readonly #config: ContainerConfig;
  readonly #sink: Sink;
  readonly #jobs = new Map<string, Job>();
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(config: ContainerConfig, sink: Sink) {
    this.#config = config;
    this.#sink = sink;
  }

  get active(): number {
    return this.#jobs.size;
  }

  /** Starts the clip's job, or joins the one running; `listener` gets every event, in order. */
  subscribe(request: JobRequest, listener: Listener): { done: Promise<void>; unsubscribe: () => void } {
    const job = this.#jobs.get(request.clip_id) ?? this.#start(request);
    for (const event of job.events) listener(event);
    job.listeners.add(listener);
    return { done: job.done, unsubscribe: () => job.listeners.delete(listener) };
  }

  cancel(clipId: string): boolean {
    const job = this.#jobs.get(clipId);
    job?.abort.abort();
    return job !== undefined;
  }

  /** Cancels every job and waits for them to end (SIGTERM). */
  async cancelAll(): Promise<void> {
    const jobs = [...this.#jobs.values()];
    for (const job of jobs) job.abort.abort();
    await Promise.all(jobs.map((job) => job.done));
  }

  #start(request: JobRequest): Job {
    const job: Job = {
      clipId: request.clip_id,
      events: [],
      listeners: new Set(),
      abort: new AbortController(),
      done: Promise.resolve(),
    };
    const emit = (event: JobEvent) => {
      job.events.push(event);
      for (const listener of job.listeners) listener(event);
    };
    this.#jobs.set(request.clip_id, job);
    job.done = this.#run(request, job, emit).finally(() => this.#jobs.delete(request.clip_id));
    return job;
  }

  async #run(request: JobRequest, job: Job, emit: Listener): Promise<void> {
    try {
      await this.#slot(job.abort.signal);
      const options = {
        config: this.#config,
        sink: this.#sink,
        force: request.force,
        signal: job.abort.signal,
        onEvent: (event: JobEvent) => {
          // Progress is not replayed to late joiners: only the latest matters.
          if (event.type === "progress") for (const listener of job.listeners) listener(event);
          else emit(event);
        },
        ...(request.store_video === undefined ? {} : { storeVideo: request.store_video }),
      };
      const result = await processClip(request.clip_id, options);
      emit({ type: "completed", result });
    } catch (error) {
      const failure =
        error instanceof ClipAudioError
          ? error
          : new ClipAudioError("internal", `Unexpected engine error: ${(error as Error)?.message ?? String(error)}`);
      if (!(error instanceof ClipAudioError))
        console.error(JSON.stringify({ msg: "job crashed", clip_id: job.clipId, error: String(error) }));
      emit({ type: "failed", error: failure.toJSON() });
    } finally {
      this.#release();
    }
  }

  async #slot(signal: AbortSignal): Promise<void> {
    if (this.#running < this.#config.JOB_CONCURRENCY) {
      this.#running++;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running++;
    if (signal.aborted) throw new ClipAudioError("cancelled", "The job was cancelled while queued");
  }

  #release(): void {
    this.#running--;
    this.#waiting.shift()?.();
  }
}
