/**
 * One per clip: owns the clip's processing state and is the only thing that asks the engine
 * to process it. Concurrent requests share the run in progress. Background work is carried by
 * alarms, so it outlives the request that asked for it and survives restarts; retryable
 * failures are tried again with backoff, others end in `failed` with their error.
 *
 * The engine owns a job once it has started it; this object follows. An alarm follows for at
 * most JOB_FOLLOW_SECONDS (an alarm's wall-clock time is limited, a 4-hour VOD is not): the
 * engine then releases the stream, and the next alarm joins the same job again (`follow`) — or
 * gets its result, when it ended in between.
 *
 * What the platform does to a job is not a failed attempt: a stream broken while the engine
 * runs on (a Durable Object reset by a deploy, a lost connection) is re-attached, and a job cut
 * off by an engine that stops (SIGTERM on a rollout) or refused by one that is draining is
 * started again once a new instance answers. Both count as interruptions, bounded by
 * MAX_INTERRUPTIONS so that an engine that keeps dying still ends in a failure.
 */
import { DurableObject } from "cloudflare:workers";
import { ClipAudioError } from "../../../shared/errors.ts";
import type { JobEvent } from "../../../shared/job.ts";
import { isActive } from "../../../shared/job-state.ts";
import type { ClipResult } from "../../../shared/schemas.ts";
import { loadConfig } from "../config.ts";
import { runEngineJob } from "../engine.ts";
import { log } from "../log.ts";
import { postCallback } from "./clip-callback.ts";
import {
  CLIP_JOB_MIGRATIONS,
  type ClipJobRecord,
  type ClipJobState,
  checkTransition,
  type PendingWork,
  type QueuedWork,
  queuedState,
  type RecordChange,
  type RetryFields,
  readRecord,
  settledState,
  updateRecord,
  withWork,
} from "./clip-job-state.ts";
import { failedResult, finalResult, isRetryable, observeEngine } from "./clip-result.ts";
import { FOLLOW_AGAIN_DELAY_MS, MAX_INTERRUPTIONS, restartWaitMs } from "./interruptions.ts";
import { migrate } from "./migrations.ts";

/** Background attempts per clip before it is failed for good. */
export const MAX_ATTEMPTS = 3;
/** Backoff before attempt n+1: 5 s, 20 s, … (×4). */
const RETRY_BASE_MS = 5_000;
/** The engine let this follower go at its deadline; the job runs on. */
const RELEASED = "released";

/** Not a result yet: follow the job again (or start it again) after `resumeInMs`. */
interface Resume {
  resumeInMs: number;
  why: string;
}

const NO_WORK: PendingWork = { force: false, taskIds: [], callbackUrls: [] };

export class ClipJob extends DurableObject<Env> {
  #current: Promise<ClipResult | Resume> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage, CLIP_JOB_MIGRATIONS);
  }

  async getState(): Promise<ClipJobState | null> {
    return this.#record()?.state ?? null;
  }

  async isBusy(): Promise<boolean> {
    const state = await this.getState();
    return this.#current !== null || (state !== null && isActive(state.state));
  }

  /**
   * Processes the clip now (or joins the run in progress) and returns its result. When
   * background work is pending, its alarm decides the final state (it may retry).
   */
  async run(clipId: string, force: boolean): Promise<ClipResult> {
    for (;;) {
      const result = await this.#attempt(clipId, force);
      if ("resumeInMs" in result) {
        // Released or re-attachable: follow it from here (a moment later), as the caller is waiting.
        if (result.resumeInMs <= FOLLOW_AGAIN_DELAY_MS) {
          if (result.why !== RELEASED) await new Promise((resolve) => setTimeout(resolve, result.resumeInMs));
          continue;
        }
        // The engine is restarting: no caller should wait for that; the clip's alarm carries it.
        const failure = failedResult(clipId, new ClipAudioError("engine_restarting", result.why));
        await this.#handOver(clipId, force, failure, Date.now() + result.resumeInMs);
        return failure;
      }
      if (this.#record()?.pending) return result;
      if (force && !result.success && result.error_code && isRetryable(result.error_code)) {
        // A forced re-run may have withdrawn a finished clip's manifest before it was
        // interrupted: the job's own retries carry it to completion, as for background work.
        await this.#handOver(clipId, force, result, Date.now() + RETRY_BASE_MS, 1);
        return result;
      }
      await this.#settle(clipId, result);
      return result;
    }
  }

  /** A synchronous run's unfinished work becomes background work (no task, no callback). */
  async #handOver(clipId: string, force: boolean, result: ClipResult, at: number, attempts?: number) {
    this.#update(clipId, (record) => ({ pending: record.pending ?? { ...NO_WORK, force } }));
    const previous = await this.getState();
    await this.#saveQueued(clipId, attempts ?? previous?.attempts ?? 0, {
      retry_at: new Date(at).toISOString(),
      last_error: result.error,
      interruptions: previous?.interruptions ?? 0,
    });
    await this.ctx.storage.setAlarm(at);
  }

  /** Forgets the job's record (after the clip's objects were deleted); refused while it runs. */
  async forget(): Promise<boolean> {
    if (await this.isBusy()) return false;
    const record = this.#record();
    if (record) this.#update(record.clip_id, () => ({ state: null }));
    return true;
  }

  /** The run in progress, or a new one; a Resume when it has not ended (yet) for this follower. */
  #attempt(clipId: string, force: boolean, followSeconds?: number): Promise<ClipResult | Resume> {
    this.#current ??= this.#execute(clipId, force, followSeconds).finally(() => {
      this.#current = null;
    });
    return this.#current;
  }

  /** After a yt-dlp promotion (extractor-channel.ts): an outdated failure runs once more, same tasks and callbacks. */
  async retryOutdated(clipId: string): Promise<boolean> {
    const record = this.#record();
    const work = record?.outdated_work;
    if (!work || (await this.isBusy()) || record.pending) return false;
    this.#update(clipId, () => ({ outdated_work: null, pending: work }));
    await this.#saveQueued(clipId, 0);
    await this.ctx.storage.setAlarm(Date.now());
    return true;
  }

  /** Queues background work; an alarm carries it. */
  async enqueue(clipId: string, work: QueuedWork): Promise<void> {
    this.#update(clipId, ({ pending }) => ({ pending: withWork(pending, work) }));
    // A run in progress or a retry already pending keeps its state (and its retry time).
    if (!this.#current && !(await this.getState())?.retry_at) await this.#saveQueued(clipId, 0);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
  }

  override async alarm(): Promise<void> {
    const record = this.#record();
    const pending = record?.pending;
    if (!pending) return;
    const clipId = record.clip_id;
    const result = await this.#attempt(clipId, pending.force, this.#config().JOB_FOLLOW_SECONDS);
    if ("resumeInMs" in result) {
      await this.ctx.storage.setAlarm(Date.now() + result.resumeInMs);
      return;
    }
    const attempts = ((await this.getState())?.attempts ?? 0) + 1;
    if (!result.success && result.error_code && isRetryable(result.error_code) && attempts < MAX_ATTEMPTS) {
      await this.#retryLater(clipId, result, attempts);
      return;
    }
    await this.#settle(clipId, result);
    this.#update(clipId, () => ({ pending: null }));
    await this.#finish(pending, result);
  }

  #config() {
    const loaded = loadConfig(this.env);
    if (!loaded.ok) throw new ClipAudioError("internal", loaded.problem);
    return loaded.config;
  }

  #record(): ClipJobRecord | null {
    return readRecord(this.ctx.storage);
  }

  #update(clipId: string, change: RecordChange): void {
    updateRecord(this.ctx.storage, clipId, change);
  }

  /** Saves the state callers see, if shared/job-state.ts allows the move. */
  async #save(fields: Omit<ClipJobState, "updated_at">): Promise<void> {
    const state = { ...fields, updated_at: new Date().toISOString() };
    this.#update(fields.clip_id, (record) => {
      checkTransition(fields.clip_id, record.state, state);
      return { state };
    });
  }

  async #execute(clipId: string, force: boolean, followSeconds?: number): Promise<ClipResult | Resume> {
    const previous = await this.getState();
    const following = this.#record()?.following === true;
    const base = {
      clip_id: clipId,
      error: null,
      error_code: null,
      result: null,
      attempts: previous?.attempts ?? 0,
      retry_at: null,
      last_error: previous?.last_error ?? null,
      interruptions: previous?.interruptions ?? 0,
    };
    if (!following) await this.#save({ ...base, state: "queued", progress: null });
    const onEvent = async (event: JobEvent) => {
      if (event.type === "state") await this.#save({ ...base, state: event.stage, progress: null });
      if (event.type === "progress") await this.#save({ ...base, state: event.stage, progress: event.percent });
    };
    let result: ClipResult;
    try {
      const request = { clip_id: clipId, force, follow: following, follow_seconds: followSeconds };
      const outcome = await runEngineJob(this.env, this.#config(), request, onEvent);
      if (outcome.kind === "released") {
        this.#update(clipId, () => ({ following: true }));
        log("info", { msg: "job still running in the engine; the next alarm follows it", clip_id: clipId });
        return { resumeInMs: FOLLOW_AGAIN_DELAY_MS, why: RELEASED };
      }
      if (outcome.kind === "detached") return await this.#interrupted(clipId, outcome.reason, "reattach");
      const final = outcome.event;
      if (final.type === "failed" && final.error.code === "engine_restarting")
        return await this.#interrupted(clipId, final.error.message, "restart");
      this.#update(clipId, () => ({ following: false }));
      // The engine's word for /health and the Worker's own look at the manifest: both at once.
      [, result] = await Promise.all([
        observeEngine(this.env, final, clipId),
        finalResult(this.env, this.#config(), clipId, final),
      ]);
    } catch (error) {
      if (error instanceof ClipAudioError && error.code === "engine_restarting")
        return await this.#interrupted(clipId, error.message, "restart");
      this.#update(clipId, () => ({ following: false }));
      const failure = error instanceof ClipAudioError ? error : new ClipAudioError("internal", String(error));
      result = failedResult(clipId, failure);
    }
    log(result.success ? "info" : "warn", {
      msg: "clip job attempt ended",
      clip_id: clipId,
      success: result.success,
      error_code: result.error_code,
    });
    return result;
  }

  /**
   * The job was not failed by its source but interrupted by the platform: follow it again
   * (`follow` re-attaches to a job the engine still runs, collects one that ended, or starts it
   * again on an engine that lost it). Only an endless run of interruptions is a failed attempt.
   */
  async #interrupted(clipId: string, why: string, kind: "reattach" | "restart"): Promise<ClipResult | Resume> {
    const state = await this.getState();
    const interruptions = (state?.interruptions ?? 0) + 1;
    const resumeInMs = kind === "reattach" ? FOLLOW_AGAIN_DELAY_MS : restartWaitMs(interruptions);
    log("warn", { msg: "clip job interrupted; following it again", clip_id: clipId, why, interruptions });
    if (interruptions > MAX_INTERRUPTIONS) {
      this.#update(clipId, () => ({ following: false }));
      if (state) await this.#save({ ...state, interruptions: 0 });
      const message = `The media engine was interrupted ${MAX_INTERRUPTIONS} times in a row under this job (last: ${why})`;
      return failedResult(clipId, new ClipAudioError("container_unavailable", message));
    }
    this.#update(clipId, () => ({ following: true }));
    if (state) await this.#save({ ...state, interruptions });
    return { resumeInMs, why };
  }

  /** Not final: the state says so (queued, with when and why), never `failed` in between. */
  async #retryLater(clipId: string, result: ClipResult, attempts: number): Promise<void> {
    const retryAt = Date.now() + RETRY_BASE_MS * 4 ** (attempts - 1);
    await this.#saveQueued(clipId, attempts, { retry_at: new Date(retryAt).toISOString(), last_error: result.error });
    await this.ctx.storage.setAlarm(retryAt);
  }

  /** Waiting for its first attempt, or (with when and why) for a retry. */
  async #saveQueued(clipId: string, attempts: number, retry?: RetryFields) {
    await this.#save(queuedState(clipId, attempts, retry));
  }

  /** Saves the final state; only whoever knows that no retry follows calls this. */
  async #settle(clipId: string, result: ClipResult): Promise<void> {
    const previous = await this.getState();
    if (result.error_code === "extractor_outdated")
      this.#update(clipId, ({ pending }) => ({ outdated_work: pending ?? NO_WORK }));
    await this.#save(settledState(result, previous?.attempts ?? 0));
  }

  async #finish(pending: PendingWork, result: ClipResult): Promise<void> {
    for (const taskId of pending.taskIds) {
      await this.env.TASKS.get(this.env.TASKS.idFromName("tasks")).clipFinished(taskId, result);
    }
    const secret = this.#config().HMAC_SHARED_SECRET ?? "";
    for (const url of pending.callbackUrls) await postCallback(url, secret, pending.taskIds, result);
  }
}
