import { env, exports } from "cloudflare:workers";
import { inject, vi } from "vitest";
import { signRequest } from "../../shared/hmac.ts";

export const SECRET = "worker-test-secret";
let ipCounter = 0;

/** A fresh client address, so one test's requests never count against another's limit. */
export function newClientIp(): string {
  ipCounter++;
  return `10.${Math.floor(ipCounter / 250)}.${ipCounter % 250}.${Math.floor(Math.random() * 250)}`;
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  ip?: string;
  headers?: Record<string, string>;
  sign?: boolean;
  secret?: string;
}

export async function call(path: string, options: CallOptions = {}): Promise<Response> {
  const method = options.method ?? (options.body === undefined ? "GET" : "POST");
  const body =
    options.body === undefined ? "" : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  const signature = options.sign === false ? {} : await signRequest(options.secret ?? SECRET, body);
  const headers = {
    "CF-Connecting-IP": options.ip ?? newClientIp(),
    ...(body ? { "content-type": "application/json" } : {}),
    ...signature,
    ...options.headers,
  };
  return exports.default.fetch(new Request(`http://worker${path}`, { method, headers, ...(body ? { body } : {}) }));
}

export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** Requests the fixture server saw (its log), to count downloads. */
export async function fixtureDownloads(): Promise<number> {
  const response = await fetch(`${inject("fixtureUrl")}/__log`);
  return ((await response.json()) as { downloads: number }).downloads;
}

/** The clip's ClipJob Durable Object. */
export const clipJob = (clipId: string) => env.CLIP_JOBS.get(env.CLIP_JOBS.idFromName(clipId));

/**
 * Waits until the clip's media are being fetched (yt-dlp has chosen them and the media GET has
 * reached the fixture server): `downloadsBefore` is the fixture's count before the clip was sent.
 */
export async function downloading(clipId: string, downloadsBefore: number): Promise<void> {
  await vi.waitFor(
    async () => {
      const now = await clipJob(clipId).getState();
      if (now?.state !== "downloading" || (await fixtureDownloads()) === downloadsBefore)
        throw new Error(`${clipId} is ${now?.state}`);
    },
    { timeout: 15_000, interval: 50 },
  );
}
