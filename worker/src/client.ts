/**
 * A typed client for Workers (or scripts) that call clip-audio, through a service binding or
 * over HTTPS. It signs every request (signature version 2) and parses every answer with the
 * shared schemas. Through a service binding, bind the `ClipAudioService` entrypoint.
 *
 *   const clipAudio = createClipAudioClient(env.CLIP_AUDIO, env.HMAC_SHARED_SECRET);
 *   const { task_id } = await clipAudio.processClips({ clip_ids: ["AbC"], background: true });
 */

import type { z } from "zod";
import { IDEMPOTENCY_HEADER, requestTarget, signRequest } from "../../shared/hmac.ts";
import {
  CleanupResponse,
  ClipStatus,
  ErrorBody,
  ListProcessedResponse,
  type ProcessClipsInput,
  ProcessClipsResponse,
  Task,
  TaskList,
  TaskStats,
} from "../../shared/schemas.ts";

export type { ProcessClipsInput } from "../../shared/schemas.ts";

/** Anything with `fetch`: a service binding, or `{ fetch }` for HTTPS. */
export interface Fetcher {
  fetch(request: Request): Promise<Response>;
}

export class ClipAudioApiError extends Error {
  override readonly name = "ClipAudioApiError";
  readonly status: number;

  constructor(status: number, detail: string) {
    super(detail);
    this.status = status;
  }
}

export function createClipAudioClient(fetcher: Fetcher, secret: string, baseUrl = "https://clip-audio") {
  async function send<T extends z.ZodType>(
    schema: T,
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<z.infer<T>> {
    const text = body === undefined ? "" : JSON.stringify(body);
    const url = new URL(`${baseUrl}/api${path}`);
    // Signature version 2: the method, path and query are signed too.
    const signature = await signRequest(secret, text, { target: requestTarget(method, url) });
    const headers = { ...signature, ...extraHeaders, ...(text ? { "content-type": "application/json" } : {}) };
    const response = await fetcher.fetch(new Request(url, { method, headers, ...(text ? { body: text } : {}) }));
    const json: unknown = await response.json().catch(() => ({ detail: `HTTP ${response.status}` }));
    if (!response.ok && response.status !== 207) {
      throw new ClipAudioApiError(response.status, ErrorBody.safeParse(json).data?.detail ?? `HTTP ${response.status}`);
    }
    return schema.parse(json);
  }
  const id = encodeURIComponent;
  return {
    /** With `idempotencyKey`, a retried call within 24 h answers the first call's response. */
    processClips: (input: ProcessClipsInput, options: { idempotencyKey?: string } = {}) =>
      send(
        ProcessClipsResponse,
        "POST",
        "/process-clips",
        input,
        options.idempotencyKey ? { [IDEMPOTENCY_HEADER]: options.idempotencyKey } : {},
      ),
    clipStatus: (clipId: string) => send(ClipStatus, "GET", `/clip-status/${id(clipId)}`),
    listProcessedClips: (limit = 50, cursor?: string) =>
      send(
        ListProcessedResponse,
        "GET",
        `/list-processed-clips?limit=${limit}${cursor ? `&cursor=${id(cursor)}` : ""}`,
      ),
    cleanup: (clipId: string, options: { dryRun?: boolean } = {}) =>
      send(
        CleanupResponse,
        "DELETE",
        `/cleanup/${id(clipId)}?dry_run=${options.dryRun ?? true}&confirm=${!(options.dryRun ?? true)}`,
      ),
    task: (taskId: string) => send(Task, "GET", `/task/${id(taskId)}`),
    tasks: (limit = 50) => send(TaskList, "GET", `/tasks?limit=${limit}`),
    taskStats: () => send(TaskStats, "GET", "/tasks/stats"),
  };
}

export type ClipAudioClient = ReturnType<typeof createClipAudioClient>;
