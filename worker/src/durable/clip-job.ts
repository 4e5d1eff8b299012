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
import type { ClipResult, ClipState } from "../../../shared/schemas.ts";
import { loadConfig } from "../config.ts";
import { runEngineJob } from "../engine.ts";
import { log } from "../log.ts";
import { postCallback } from "./clip-callback.ts";
import type { ClipJobState, PendingWork } from "./clip-job-state.ts";
import { failedResult, finalResult, isRetryable, observeEngine } from "./clip-result.ts";
import { FOLLOW_AGAIN_DELAY_MS, MAX_INTERRUPTIONS, restartWaitMs } from "./interruptions.ts";

export type { ClipJobState } from "./clip-job-state.ts";

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

const ACTIVE: ReadonlySet<ClipState> = new Set(["queued", "downloading", "extracting", "uploading"]);

export class ClipJob extends DurableObject<Env> {
  #current: Promise<ClipResult | Resume> | null = null;

  async getState(): Promise<ClipJobState | null> {
    return (await this.ctx.storage.get<ClipJobState>("state")) ?? null;
  }

  async isBusy(): Promise<boolean> {
    const state = await this.getState();
    return this.#current !== null || (state !== null && ACTIVE.has(state.state));
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
      if (await this.ctx.storage.get<PendingWork>("pending")) return result;
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
    if (!(await this.ctx.storage.get<PendingWork>("pending")))
      await this.ctx.storage.put("pending", { force, taskIds: [], callbackUrls: [] } satisfies PendingWork);
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
    await this.ctx.storage.delete("state");
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
    const work = await this.ctx.storage.get<PendingWork>("outdated_work");
    if (!work || (await this.isBusy()) || (await this.ctx.storage.get("pending"))) return false;
    await this.ctx.storage.delete("outdated_work");
    await this.ctx.storage.put({ pending: work, clip_id: clipId });
    await this.#saveQueued(clipId, 0);
    await this.ctx.storage.setAlarm(Date.now());
    return true;
  }

  /** Queues background work; an alarm carries it. */
  async enqueue(
    clipId: string,
    work: { force: boolean; taskId: string; callbackUrl?: string | undefined },
  ): Promise<void> {
    const pending = (await this.ctx.storage.get<PendingWork>("pending")) ?? {
      force: false,
      taskIds: [],
      callbackUrls: [],
    };
    pending.force ||= work.force;
    pending.taskIds.push(work.taskId);
    if (work.callbackUrl) pending.callbackUrls.push(work.callbackUrl);
    await this.ctx.storage.put({ pending, clip_id: clipId });
    // A run in progress or a retry already pending keeps its state (and its retry time).
    if (!this.#current && !(await this.getState())?.retry_at) await this.#saveQueued(clipId, 0);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
  }

  override async alarm(): Promise<void> {
    const pending = await this.ctx.storage.get<PendingWork>("pending");
    const clipId = await this.ctx.storage.get<string>("clip_id");
    if (!pending || !clipId) return;
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
    await this.ctx.storage.delete("pending");
    await this.#finish(pending, result);
  }

  #config() {
    const loaded = loadConfig(this.env);
    if (!loaded.ok) throw new ClipAudioError("internal", loaded.problem);
    return loaded.config;
  }

  async #save(fields: Omit<ClipJobState, "updated_at">): Promise<void> {
    await this.ctx.storage.put("state", { ...fields, updated_at: new Date().toISOString() } satisfies ClipJobState);
  }

  async #execute(clipId: string, force: boolean, followSeconds?: number): Promise<ClipResult | Resume> {
    await this.ctx.storage.put("clip_id", clipId);
    const previous = await this.getState();
    const following = (await this.ctx.storage.get<boolean>("following")) === true;
    const base = {
      clip_id: clipId,
      error: null,
      error_code: null,
      result: null,
      attempts: previous?.attempts ?? 0,
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
        await this.ctx.storage.put("following", true);
        log("info", { msg: "job still running in the engine; the next alarm follows it", clip_id: clipId });
        return { resumeInMs: FOLLOW_AGAIN_DELAY_MS, why: RELEASED };
      }
      if (outcome.kind === "detached") return await this.#interrupted(clipId, outcome.reason, "reattach");
      const final = outcome.event;
      if (final.type === "failed" && final.error.code === "engine_restarting")
        return await this.#interrupted(clipId, final.error.message, "restart");
      await this.ctx.storage.delete("following");
      // The engine's word for /health and the Worker's own look at the manifest: both at once.
      [, result] = await Promise.all([
        observeEngine(this.env, final, clipId),
        finalResult(this.env, this.#config(), clipId, final),
      ]);
    } catch (error) {
      if (error instanceof ClipAudioError && error.code === "engine_restarting")
        return await this.#interrupted(clipId, error.message, "restart");
      await this.ctx.storage.delete("following");
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
      await this.ctx.storage.delete("following");
      if (state) await this.#save({ ...state, interruptions: 0 });
      const message = `The media engine was interrupted ${MAX_INTERRUPTIONS} times in a row under this job (last: ${why})`;
      return failedResult(clipId, new ClipAudioError("container_unavailable", message));
    }
    await this.ctx.storage.put("following", true);
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
  async #saveQueued(
    clipId: string,
    attempts: number,
    retry?: Pick<ClipJobState, "retry_at" | "last_error" | "interruptions">,
  ) {
    await this.#save({
      clip_id: clipId,
      state: "queued",
      progress: null,
      error: null,
      error_code: null,
      result: null,
      attempts,
      ...retry,
    });
  }

  /** Saves the final state; only whoever knows that no retry follows calls this. */
  async #settle(clipId: string, result: ClipResult): Promise<void> {
    const previous = await this.getState();
    if (result.error_code === "extractor_outdated") {
      const owed = await this.ctx.storage.get<PendingWork>("pending");
      await this.ctx.storage.put("outdated_work", owed ?? { force: false, taskIds: [], callbackUrls: [] });
    }
    await this.#save({
      clip_id: clipId,
      state: result.success ? "completed" : "failed",
      progress: result.success ? 100 : null,
      error: result.error,
      error_code: result.error_code,
      result,
      attempts: previous?.attempts ?? 0,
    });
  }

  async #finish(pending: PendingWork, result: ClipResult): Promise<void> {
    for (const taskId of pending.taskIds) {
      await this.env.TASKS.get(this.env.TASKS.idFromName("tasks")).clipFinished(taskId, result);
    }
    const secret = this.#config().HMAC_SHARED_SECRET ?? "";
    for (const url of pending.callbackUrls) await postCallback(url, secret, pending.taskIds, result);
  }
}
