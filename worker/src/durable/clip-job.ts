/**
 * One per clip: owns the clip's processing state and is the only thing that asks the engine
 * to process it. Concurrent requests share the run in progress. Background work is carried by
 * alarms, so it outlives the request that asked for it and survives restarts; retryable
 * failures are tried again with backoff, others end in `failed` with their error.
 *
 * The engine owns a job once it has started it; this object follows. An alarm follows for at
 * most JOB_FOLLOW_SECONDS (an alarm's wall-clock time is limited, a 4-hour VOD is not), then
 * lets go and sets the next alarm, which joins the same job again (`follow`) — or gets its
 * result, when it ended in between.
 */
import { DurableObject } from "cloudflare:workers";
import { ClipAudioError, type ErrorCode } from "../../../shared/errors.ts";
import { signRequest } from "../../../shared/hmac.ts";
import type { FinalJobEvent, JobEvent, JobResult } from "../../../shared/job.ts";
import { keys } from "../../../shared/keys.ts";
import type { ClipResult, ClipState } from "../../../shared/schemas.ts";
import { loadConfig } from "../config.ts";
import { runEngineJob } from "../engine.ts";
import { log } from "../log.ts";
import { bucketStorage } from "../storage.ts";
import { ENGINE_MONITOR_NAME, engineObservation } from "./engine-monitor.ts";

/** Background attempts per clip before it is failed for good. */
export const MAX_ATTEMPTS = 3;
/** Backoff before attempt n+1: 5 s, 20 s, … (×4). */
const RETRY_BASE_MS = 5_000;
const CALLBACK_ATTEMPTS = 3;
const CALLBACK_BACKOFF_MS = 1_000;
const CALLBACK_TIMEOUT_MS = 10_000;
/** The pause before the next alarm picks the job up again. */
const FOLLOW_AGAIN_DELAY_MS = 1_000;

export interface ClipJobState {
  clip_id: string;
  state: ClipState;
  progress: number | null;
  error: string | null;
  error_code: ErrorCode | null;
  result: ClipResult | null;
  /** Failed attempts of the current background work so far. */
  attempts: number;
  /** When the next attempt starts, while a retry is pending (state `queued`). */
  retry_at?: string | null;
  /** The error of the last failed attempt, while the work goes on. */
  last_error?: string | null;
  updated_at: string;
}

interface PendingWork {
  force: boolean;
  taskIds: string[];
  callbackUrls: string[];
}

const ACTIVE: ReadonlySet<ClipState> = new Set(["queued", "downloading", "extracting", "uploading"]);

function failedResult(clipId: string, error: ClipAudioError): ClipResult {
  return {
    clip_id: clipId,
    success: false,
    error: error.message,
    error_code: error.code,
    files_uploaded: [],
    duration: null,
    needs_chunking: false,
    skipped: false,
  };
}

export class ClipJob extends DurableObject<Env> {
  #current: Promise<ClipResult | null> | null = null;

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
      // null: an alarm that was following the job let go; follow it from here.
      if (!result) continue;
      if (await this.ctx.storage.get<PendingWork>("pending")) return result;
      if (force && !result.success && result.error_code && isRetryable(result.error_code)) {
        // A forced re-run may have withdrawn a finished clip's manifest before it was
        // interrupted: the job's own retries carry it to completion, as for background work.
        await this.ctx.storage.put("pending", { force: true, taskIds: [], callbackUrls: [] } satisfies PendingWork);
        await this.#retryLater(clipId, result, 1);
        return result;
      }
      await this.#settle(clipId, result);
      return result;
    }
  }

  /** Forgets the job's record (after the clip's objects were deleted); refused while it runs. */
  async forget(): Promise<boolean> {
    if (await this.isBusy()) return false;
    await this.ctx.storage.delete("state");
    return true;
  }

  /** The run in progress, or a new one; null when it was followed for `followForMs` without ending. */
  #attempt(clipId: string, force: boolean, followForMs?: number): Promise<ClipResult | null> {
    this.#current ??= this.#execute(clipId, force, followForMs).finally(() => {
      this.#current = null;
    });
    return this.#current;
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
    const result = await this.#attempt(clipId, pending.force, this.#config().JOB_FOLLOW_SECONDS * 1000);
    if (!result) {
      await this.ctx.storage.setAlarm(Date.now() + FOLLOW_AGAIN_DELAY_MS);
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

  async #execute(clipId: string, force: boolean, followForMs?: number): Promise<ClipResult | null> {
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
    };
    if (!following) await this.#save({ ...base, state: "queued", progress: null });
    const onEvent = async (event: JobEvent) => {
      if (event.type === "state") await this.#save({ ...base, state: event.stage, progress: null });
      if (event.type === "progress") await this.#save({ ...base, state: event.stage, progress: event.percent });
    };
    let result: ClipResult;
    try {
      const config = this.#config();
      const request = { clip_id: clipId, force, follow: following };
      const final = await runEngineJob(this.env, config, request, onEvent, followForMs);
      if (!final) {
        await this.ctx.storage.put("following", true);
        log("info", { msg: "job still running in the engine; the next alarm follows it", clip_id: clipId });
        return null;
      }
      await this.ctx.storage.delete("following");
      await this.#observe(final);
      result =
        final.type === "completed" ? await this.#verified(clipId, final.result) : failedResult(clipId, toError(final));
    } catch (error) {
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

  /** Not final: the state says so (queued, with when and why), never `failed` in between. */
  async #retryLater(clipId: string, result: ClipResult, attempts: number): Promise<void> {
    const retryAt = Date.now() + RETRY_BASE_MS * 4 ** (attempts - 1);
    await this.#saveQueued(clipId, attempts, { retry_at: new Date(retryAt).toISOString(), last_error: result.error });
    await this.ctx.storage.setAlarm(retryAt);
  }

  /** Waiting for its first attempt, or (with when and why) for a retry. */
  async #saveQueued(clipId: string, attempts: number, retry?: Pick<ClipJobState, "retry_at" | "last_error">) {
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

  /** What this job told about the engine, for `/health` (a failure to record it fails nothing). */
  async #observe(final: FinalJobEvent): Promise<void> {
    const observation = engineObservation(final);
    await this.env.ENGINE_MONITOR.get(this.env.ENGINE_MONITOR.idFromName(ENGINE_MONITOR_NAME))
      .observe(observation)
      .catch((error: unknown) => log("warn", { msg: "engine monitor unavailable", error: String(error) }));
  }

  /**
   * A completed job counts only when the Worker sees its manifest through its own binding: the
   * engine writes through the S3 API to R2_BUCKET, and a binding to another bucket would
   * otherwise report clips that no reader of that bucket can find.
   */
  async #verified(clipId: string, done: JobResult): Promise<ClipResult> {
    const config = this.#config();
    let visible: boolean;
    try {
      visible = await bucketStorage(this.env, config).exists(keys.manifest(clipId));
    } catch (error) {
      return failedResult(clipId, new ClipAudioError("storage_failed", (error as Error).message));
    }
    if (!visible) {
      log("error", { msg: "bucket mismatch", clip_id: clipId, r2_bucket: config.R2_BUCKET });
      return failedResult(clipId, bucketMismatch(clipId, config.R2_BUCKET));
    }
    return {
      clip_id: clipId,
      success: true,
      error: null,
      error_code: null,
      files_uploaded: done.files_uploaded,
      duration: done.duration_s,
      needs_chunking: done.needs_chunking,
      skipped: done.skipped,
    };
  }

  async #finish(pending: PendingWork, result: ClipResult): Promise<void> {
    for (const taskId of pending.taskIds) {
      await this.env.TASKS.get(this.env.TASKS.idFromName("tasks")).clipFinished(taskId, result);
    }
    for (const url of pending.callbackUrls) await this.#callback(url, pending.taskIds, result);
  }

  /** POSTs the clip's result, signed like a request to us, with a few retries. */
  async #callback(url: string, taskIds: string[], result: ClipResult): Promise<void> {
    const body = JSON.stringify({ task_ids: taskIds, result });
    for (let attempt = 1; attempt <= CALLBACK_ATTEMPTS; attempt++) {
      try {
        const headers = {
          "content-type": "application/json",
          ...(await signRequest(this.#config().HMAC_SHARED_SECRET ?? "", body)),
        };
        const response = await fetch(url, {
          method: "POST",
          body,
          headers,
          signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
        });
        if (response.ok) return;
        log("warn", { msg: "callback refused", host: new URL(url).host, status: response.status, attempt });
      } catch (error) {
        log("warn", { msg: "callback failed", host: new URL(url).host, error: (error as Error).message, attempt });
      }
      // No pause after the last attempt: the alarm that delivers the result has nothing left to wait for.
      if (attempt < CALLBACK_ATTEMPTS)
        await new Promise((resolve) => setTimeout(resolve, CALLBACK_BACKOFF_MS * 2 ** (attempt - 1)));
    }
  }
}

export function bucketMismatch(clipId: string, bucket: string): ClipAudioError {
  return new ClipAudioError(
    "storage_misconfigured",
    `The engine wrote ${keys.manifest(clipId)} to bucket "${bucket}" (R2_BUCKET), but the Worker's BUCKET binding does not see it: R2_BUCKET and the binding's bucket_name must name the same bucket`,
  );
}

function toError(final: Extract<FinalJobEvent, { type: "failed" }>): ClipAudioError {
  return new ClipAudioError(final.error.code, final.error.message);
}

function isRetryable(code: ErrorCode): boolean {
  return new ClipAudioError(code, "").retryable;
}
