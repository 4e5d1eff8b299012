/**
 * An example caller of clip-audio: a Worker on the same account with a service binding to the
 * `ClipAudioService` entrypoint (./wrangler.toml). `env.CLIP_AUDIO`'s methods are typed by
 * `wrangler types` from the service's entrypoint (../worker-configuration.d.ts): arguments and
 * results are the contract's types, failures are `ClipAudioRpcError`s once `from` has read them.
 *
 * Its own HTTP face is for trying the binding locally (and for the tests): `POST /recap` runs a
 * recap's clips through clip-audio, `POST /recap/background` the same in the background,
 * hearing the end from clip-audio (a listener passed over RPC), `POST /rpc/<method>` with a JSON array of arguments calls
 * one method and answers `{ value }` or `{ error: { status, detail } }` with that status.
 * Anything else goes to clip-audio's signed HTTP API through the same binding (`fetch`), so
 * under `wrangler dev`, where only the first configuration gets the port, this Worker in front
 * still leaves the whole service reachable.
 */
import { RpcTarget } from "cloudflare:workers";
import type { Task } from "../../../shared/schemas.ts";
import { ClipAudioRpcError } from "../../../worker/src/rpc-error.ts";

/** The methods this Worker's `/rpc/<method>` may call (the entrypoint's public API). */
const METHODS = new Set([
  "processClips",
  "clipStatus",
  "listProcessedClips",
  "cleanup",
  "task",
  "tasks",
  "deleteTask",
  "taskStats",
  "waitForTask",
  "health",
]);

/** What a recap does: process the clips now, then report which are ready for transcription. */
export async function recapClips(env: RecapCallerEnv, clipIds: string[]) {
  const processed = await env.CLIP_AUDIO.processClips({ clip_ids: clipIds });
  const statuses = await Promise.all(clipIds.map((id) => env.CLIP_AUDIO.clipStatus(id)));
  return {
    message: processed.message,
    ready: statuses.filter((s) => s.ready_for_transcription).map((s) => s.clip_id),
    chunks: Object.fromEntries(statuses.map((s) => [s.clip_id, s.chunks.length])),
  };
}

/** Told by clip-audio when a background task ends (passed over RPC, called back over it). */
class TaskEnded extends RpcTarget {
  readonly ended: Promise<Task>;
  #resolve!: (task: Task) => void;

  constructor() {
    super();
    this.ended = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  taskEnded(task: Task): void {
    this.#resolve(task);
  }
}

/**
 * The same in the background: the task id comes back at once, the task when clip-audio calls
 * back: ended, or (after about 25 s, all that clip-audio may wait) still running, and then
 * awaited with `waitForTask`. Only while this invocation lasts: work that may outlive it gives
 * `callback_url`.
 */
export async function recapInBackground(env: RecapCallerEnv, clipIds: string[]) {
  const listener = new TaskEnded();
  const started = await env.CLIP_AUDIO.processClips({ clip_ids: clipIds, background: true }, listener);
  let task = await listener.ended;
  while (task.completed_at === null) task = await env.CLIP_AUDIO.waitForTask(task.task_id, { timeoutSeconds: 300 });
  return { task_id: started.task_id, status: task.status, successful: task.results?.successful ?? 0 };
}

function failure(error: unknown): Response {
  const known = ClipAudioRpcError.from(error);
  if (!known) throw error;
  const headers = known.retryAfterSeconds === null ? undefined : { "Retry-After": String(known.retryAfterSeconds) };
  return Response.json({ error: { status: known.status, detail: known.detail } }, { status: known.status, headers });
}

async function callMethod(env: RecapCallerEnv, method: string, args: unknown[]): Promise<unknown> {
  // Called by name for the local trial API only; in real code call `env.CLIP_AUDIO.<method>(…)`.
  const service = env.CLIP_AUDIO as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  return service[method]?.(...args);
}

export default {
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (request.method === "POST" && url.pathname === "/recap") {
        const { clip_ids } = (await request.json()) as { clip_ids: string[] };
        return Response.json(await recapClips(env, clip_ids));
      }
      if (request.method === "POST" && url.pathname === "/recap/background") {
        const { clip_ids } = (await request.json()) as { clip_ids: string[] };
        return Response.json(await recapInBackground(env, clip_ids));
      }
      const method = url.pathname.match(/^\/rpc\/(\w+)$/)?.[1];
      if (request.method === "POST" && method && METHODS.has(method)) {
        const args = (await request.json()) as unknown[];
        return Response.json({ value: await callMethod(env, method, Array.isArray(args) ? args : []) });
      }
      return env.CLIP_AUDIO.fetch(request);
    } catch (error) {
      return failure(error);
    }
  },
} satisfies ExportedHandler<RecapCallerEnv>;
