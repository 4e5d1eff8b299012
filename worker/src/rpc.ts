/**
 * The RPC door for Workers on the same account: bind the `ClipAudioService` entrypoint
 * (`[[services]] … entrypoint = "ClipAudioService"`, `props = { caller = "<name>" }`) and call
 * its methods. They run the same operations as the HTTP routes (./operations/), validated by
 * the same zod schemas; results are the contract's types.
 *
 * No HMAC here: a service binding is account-private and the caller's name comes from the
 * binding's `props`, set in the caller's configuration, not per call. A binding without a caller
 * name is refused. Calls are rate-limited under `service:<caller>` like HTTP calls through the
 * same binding, tasks record their caller, and every call is logged with it. Failures are
 * `ClipAudioRpcError`s with the status and message the HTTP API would answer (./rpc-error.ts).
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import type { ProcessClipsInput, ProcessClipsResponse, Task } from "../../shared/schemas.ts";
import { bindingCallerName } from "./caller.ts";
import { errorAnswer } from "./errors.ts";
import { log } from "./log.ts";
import { claimIdempotencyKey } from "./middleware/idempotency.ts";
import { hitRateLimit } from "./middleware/rate-limit.ts";
import {
  api,
  OPERATION_NAMES,
  type OperationMethods,
  type OperationName,
  type OperationSpec,
  type Output,
  type RawRequest,
} from "./operations/api.ts";
import { type OperationContext, operationContext } from "./operations/context.ts";
import { implementations, readRequest } from "./operations/index.ts";
import { waitForTask } from "./operations/tasks.ts";
import { ClipAudioRpcError } from "./rpc-error.ts";

/** The body of POST /process-clips, as an argument; `callback_url`'s host must be in CALLBACK_HOSTS. */
export type { ProcessClipsInput } from "../../shared/schemas.ts";
export { ClipAudioRpcError } from "./rpc-error.ts";

/**
 * What a caller may pass to a background `processClips` to hear when its task ends: an
 * `RpcTarget` (or a stub of one of its own entrypoints) with this method. It is called once:
 * with the ended task, or, when the task has not ended within LISTENER_MAX_MS, with the task as
 * it is then (`completed_at` null): work after a call's response lasts only as long as
 * `waitUntil` allows (30 s), so clip-audio cannot wait longer for it. A caller that gets an
 * unfinished task awaits `waitForTask(task.task_id)`; one whose work may outlive its own call
 * gives `callback_url` (POSTed, signed and retried by the job itself).
 */
export interface TaskListener {
  taskEnded(task: Task): unknown;
}

/**
 * How long clip-audio waits for a task before it tells the listener how it stands: inside the
 * 30 s that `waitUntil` lasts after the call's response, with room for the call itself.
 */
export const LISTENER_MAX_MS = 25_000;

export const MISSING_CALLER =
  'Service binding has no caller name: set props = { caller = "<name>" } on the [[services]] binding (letters, digits, . _ -, at most 64 characters)';

/** A failure as the HTTP API would answer it (../errors.ts), as the RPC door's error. */
function toRpcError(error: unknown, caller: string | null, method: string): ClipAudioRpcError {
  if (error instanceof ClipAudioRpcError) return error;
  const { status, detail, headers } = errorAnswer(error, { caller, method });
  const retryAfter = headers["Retry-After"];
  return new ClipAudioRpcError(status, detail, retryAfter ? Number(retryAfter) : null);
}

/**
 * Every operation of the table (./operations/api.ts) but processClips, which takes a listener
 * too, is a method made from it (the static block below); this declares them for TypeScript and
 * for `wrangler types`, which types a caller's binding from this class.
 */
type GeneratedMethods = Omit<OperationMethods, "processClips">;

export interface ClipAudioRpc extends GeneratedMethods {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface declares the methods the static block defines.
export class ClipAudioRpc extends WorkerEntrypoint<Env> {
  /** Identifies the caller, counts the call in its window (unless `open`), runs it, logs it. */
  async #call<T>(
    method: string,
    work: (context: OperationContext, caller: string) => Promise<T>,
    { open = false } = {},
  ): Promise<T> {
    const started = Date.now();
    const caller = bindingCallerName(this.ctx.props);
    let outcome = "ok";
    try {
      if (!caller) throw new ClipAudioRpcError(401, MISSING_CALLER);
      const context = operationContext(this.env);
      if (!open) {
        const decision = await hitRateLimit(this.env, context.config, `service:${caller}`);
        if (!decision.allowed) throw new ClipAudioRpcError(429, "Rate limit exceeded", decision.resetSeconds);
      }
      return await work(context, caller);
    } catch (error) {
      const failure = toRpcError(error, caller, method);
      outcome = String(failure.status);
      throw failure;
    } finally {
      log("info", { msg: "rpc", caller, method, outcome, duration_ms: Date.now() - started });
    }
  }

  /** Every operation of the table as a method, but those written out below. */
  static {
    for (const name of OPERATION_NAMES) {
      if (Object.hasOwn(ClipAudioRpc.prototype, name)) continue;
      Object.defineProperty(ClipAudioRpc.prototype, name, {
        value(this: ClipAudioRpc, ...args: never[]) {
          const open = (api[name] as OperationSpec).open === true;
          return this.#call(name, (context, caller) => this.#run(name, args as never, context, caller), { open });
        },
        writable: true,
        configurable: true,
      });
    }
  }

  /** The operation `name` on the request its arguments make, read and run as over HTTP. */
  #run<K extends OperationName>(
    name: K,
    args: Parameters<(typeof api)[K]["call"]>,
    context: OperationContext,
    caller: string,
  ): Promise<Output<K>> {
    const raw = (api[name].call as (...a: typeof args) => RawRequest)(...args);
    const input = readRequest(name, raw);
    const run = implementations[name] as (...a: unknown[]) => Promise<{ response: Output<K> }>;
    return this.#once(caller, raw.idempotencyKey, raw.body, async () => (await run(context, input, caller)).response);
  }

  /**
   * POST /process-clips: results at once, or (background) the task id at once; with a
   * `listener`, its `taskEnded(task)` is called when the background task ends. With an
   * `idempotencyKey` (as X-Idempotency-Key: 16-64 letters, digits or hyphens), a repeated call
   * with the same input within 24 h answers the first call's result instead of doing the work
   * again (a listener then hears the first call's task); the key is this caller's alone.
   */
  processClips(
    input: ProcessClipsInput,
    listener?: TaskListener,
    options: { idempotencyKey?: string } = {},
  ): Promise<ProcessClipsResponse> {
    return this.#call("processClips", async (context, caller) => {
      const response = await this.#run("processClips", [input, options], context, caller);
      const taskId = response.task_id;
      if (taskId && listener) this.ctx.waitUntil(this.#tell(context, caller, taskId, listener));
      return response;
    });
  }

  /** Runs `work` once per idempotency key and input, as the HTTP middleware does for a request. */
  async #once<T>(caller: string, key: string | undefined, input: unknown, work: () => Promise<T>): Promise<T> {
    if (key === undefined) return work();
    const claim = await claimIdempotencyKey(this.env, key, JSON.stringify(input ?? null), `rpc:${caller}:`);
    if (claim.replay) return JSON.parse(claim.replay.body) as T;
    let result: T;
    try {
      result = await work();
    } catch (error) {
      await claim.release();
      throw error;
    }
    await claim.complete(200, JSON.stringify(result));
    return result;
  }

  /** Waits for the task to end, then calls the listener; a failure to reach it is only logged. */
  async #tell(context: OperationContext, caller: string, taskId: string, listener: TaskListener): Promise<void> {
    // A stub passed as an argument is released when the call returns unless duplicated.
    const held = (listener as Partial<{ dup(): TaskListener }>).dup?.() ?? listener;
    try {
      const task = await waitForTask(context, taskId, LISTENER_MAX_MS / 1000, caller);
      if (task.completed_at === null)
        log("info", { msg: "task listener told of a task still running", caller, task_id: taskId });
      await held.taskEnded(task);
    } catch (error) {
      log("warn", { msg: "task listener failed", caller, task_id: taskId, error: String(error) });
    } finally {
      (held as Partial<Disposable>)[Symbol.dispose]?.();
    }
  }

  /**
   * The task once it has ended, or as it is after `timeoutSeconds` (default 60, at most 300):
   * a caller that can wait (a Workflow step, a Durable Object) awaits completion without polling.
   */
  waitForTask(taskId: string, options: { timeoutSeconds?: number } = {}): Promise<Task> {
    return this.#call("waitForTask", (context, caller) => waitForTask(context, taskId, options.timeoutSeconds, caller));
  }
}
