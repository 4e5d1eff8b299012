/**
 * A typed client for Workers (or scripts) that call clip-audio, through a service binding or
 * over HTTPS: the RPC door's methods (../rpc.ts), with the same arguments and results, over the
 * signed HTTP API. Made from the table of operations (./operations/api.ts): it signs every
 * request (signature version 2) and parses every answer with the operation's schema. Through a
 * service binding, bind the `ClipAudioService` entrypoint.
 *
 *   const clipAudio = createClipAudioClient(env.CLIP_AUDIO, env.HMAC_SHARED_SECRET);
 *   const { task_id } = await clipAudio.processClips({ clip_ids: ["AbC"], background: true });
 */

import { IDEMPOTENCY_HEADER, requestTarget, signRequest } from "../../shared/hmac.ts";
import { ErrorBody } from "../../shared/schemas.ts";
import { api, OPERATION_NAMES, type OperationMethods, type OperationSpec, type RawRequest } from "./operations/api.ts";

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

/** The URL of a request: the path with its parameters, the query without its unset values. */
function requestUrl(baseUrl: string, spec: OperationSpec, raw: RawRequest): URL {
  const path = spec.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(raw.params?.[name] ?? ""));
  const url = new URL(`${baseUrl}/api${path}`);
  for (const [name, value] of Object.entries(raw.query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  return url;
}

export type ClipAudioClient = OperationMethods;

export function createClipAudioClient(
  fetcher: Fetcher,
  secret: string,
  baseUrl = "https://clip-audio",
): ClipAudioClient {
  async function send(spec: OperationSpec, raw: RawRequest): Promise<unknown> {
    const text = raw.body === undefined ? "" : JSON.stringify(raw.body);
    const url = requestUrl(baseUrl, spec, raw);
    const method = spec.method.toUpperCase();
    // Signature version 2: the method, path and query are signed too.
    const signature = await signRequest(secret, text, { target: requestTarget(method, url) });
    const headers = {
      ...signature,
      ...(raw.idempotencyKey ? { [IDEMPOTENCY_HEADER]: raw.idempotencyKey } : {}),
      ...(text ? { "content-type": "application/json" } : {}),
    };
    const response = await fetcher.fetch(new Request(url, { method, headers, ...(text ? { body: text } : {}) }));
    const json: unknown = await response.json().catch(() => ({ detail: `HTTP ${response.status}` }));
    // A result may come with another status than 200 (202, a partial cleanup's 207, unhealthy's 503).
    if (!(response.status in spec.answers)) {
      throw new ClipAudioApiError(response.status, ErrorBody.safeParse(json).data?.detail ?? `HTTP ${response.status}`);
    }
    return spec.result.parse(json);
  }
  const methods = OPERATION_NAMES.map((name) => {
    const spec: OperationSpec = api[name];
    return [name, (...args: never[]) => send(spec, spec.call(...args))];
  });
  return Object.fromEntries(methods) as ClipAudioClient;
}
