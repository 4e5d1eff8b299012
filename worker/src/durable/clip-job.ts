/**
 * One per clip: owns the clip's processing state and is the only thing that asks the engine
 * to process it. Concurrent requests share the run in progress. Background work is carried by
 * alarms, so it outlives the request that asked for it and survives restarts; retryable
 * failures are tried again with backoff, others end in `failed` with their error.
 */
import { DurableObject } from "cloudflare:workers";
import { ClipAudioError, type ErrorCode } from "../../../shared/errors.ts";
import { signRequest } from "../../../shared/hmac.ts";
import type { JobEvent } from "../../../shared/job.ts";
import type { ClipResult, ClipState } from "../../../shared/schemas.ts";
import { loadConfig } from "../config.ts";
import { cancelEngineJob, runEngineJob } from "../engine.ts";
import { log } from "../log.ts";

/** Background attempts per clip before it is failed for good. */
export const MAX_ATTEMPTS = 3;
/** Backoff before attempt n+1: 5 s, 20 s, … (×4). */
const RETRY_BASE_MS = 5_000;
const CALLBACK_ATTEMPTS = 3;
const CALLBACK_BACKOFF_MS = 1_000;
const CALLBACK_TIMEOUT_MS = 10_000;

export interface ClipJobState {
  clip_id: string;
  state: ClipState;
  progress: number | null;
  error: string | null;
  error_code: ErrorCode | null;
  result: ClipResult | null;
  attempts: number;
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
  #current: Promise<ClipResult> | null = null;

  async getState(): Promise<ClipJobState | null> {
    return (await this.ctx.storage.get<ClipJobState>("state")) ?? null;
  }

  async isBusy(): Promise<boolean> {
    const state = await this.getState();
    return this.#current !== null || (state !== null && ACTIVE.has(state.state));
  }

  /** Processes the clip now (or joins the run in progress) and returns its result. */
  run(clipId: string, force: boolean): Promise<ClipResult> {
    this.#current ??= this.#execute(clipId, force).finally(() => {
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
    if (!this.#current)
      await this.#save({
        clip_id: clipId,
        state: "queued",
        progress: null,
        error: null,
        error_code: null,
        result: null,
        attempts: 0,
      });
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
  }

  override async alarm(): Promise<void> {
    const pending = await this.ctx.storage.get<PendingWork>("pending");
    const clipId = await this.ctx.storage.get<string>("clip_id");
    if (!pending || !clipId) return;
    const result = await this.run(clipId, pending.force);
    const state = await this.getState();
    const attempts = (state?.attempts ?? 0) + 1;
    if (!result.success && result.error_code && isRetryable(result.error_code) && attempts < MAX_ATTEMPTS) {
      await this.#save({ ...(state as ClipJobState), attempts });
      await this.ctx.storage.setAlarm(Date.now() + RETRY_BASE_MS * 4 ** (attempts - 1));
      return;
    }
    await this.ctx.storage.delete("pending");
    await this.#finish(pending, result);
  }

  async cancel(): Promise<void> {
    const clipId = await this.ctx.storage.get<string>("clip_id");
    if (clipId) await cancelEngineJob(this.env, this.#config(), clipId);
  }

  #config() {
    const loaded = loadConfig(this.env);
    if (!loaded.ok) throw new ClipAudioError("internal", loaded.problem);
    return loaded.config;
  }

  async #save(fields: Omit<ClipJobState, "updated_at">): Promise<void> {
    await this.ctx.storage.put("state", { ...fields, updated_at: new Date().toISOString() } satisfies ClipJobState);
  }

  async #execute(clipId: string, force: boolean): Promise<ClipResult> {
    await this.ctx.storage.put("clip_id", clipId);
    const attempts = (await this.getState())?.attempts ?? 0;
    const base = { clip_id: clipId, error: null, error_code: null, result: null, attempts };
    await this.#save({ ...base, state: "queued", progress: null });
    const onEvent = async (event: JobEvent) => {
      if (event.type === "state") await this.#save({ ...base, state: event.stage, progress: null });
      if (event.type === "progress") await this.#save({ ...base, state: event.stage, progress: event.percent });
    };
    let result: ClipResult;
    try {
      const final = await runEngineJob(this.env, this.#config(), { clip_id: clipId, force }, onEvent);
      result =
        final.type === "completed"
          ? {
              clip_id: clipId,
              success: true,
              error: null,
              error_code: null,
              files_uploaded: final.result.files_uploaded,
              duration: final.result.duration_s,
              needs_chunking: final.result.needs_chunking,
              skipped: final.result.skipped,
            }
          : failedResult(clipId, new ClipAudioError(final.error.code, final.error.message));
    } catch (error) {
      const failure = error instanceof ClipAudioError ? error : new ClipAudioError("internal", String(error));
      result = failedResult(clipId, failure);
    }
    await this.#save({
      ...base,
      state: result.success ? "completed" : "failed",
      progress: result.success ? 100 : null,
      error: result.error,
      error_code: result.error_code,
      result,
    });
    log(result.success ? "info" : "warn", {
      msg: "clip job ended",
      clip_id: clipId,
      success: result.success,
      error_code: result.error_code,
    });
    return result;
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
      await new Promise((resolve) => setTimeout(resolve, CALLBACK_BACKOFF_MS * 2 ** (attempt - 1)));
    }
  }
}

function isRetryable(code: ErrorCode): boolean {
  return new ClipAudioError(code, "").retryable;
}
