/**
 * Typed failures, and the one mapping of any failure to the contract's status and message,
 * used by every door: the HTTP API (`onError`), the RPC entrypoint (../rpc.ts) and the console.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { log } from "./log.ts";

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: ContentfulStatusCode;
  readonly headers: Record<string, string>;

  constructor(status: ContentfulStatusCode, detail: string, headers: Record<string, string> = {}) {
    super(detail);
    this.status = status;
    this.headers = headers;
  }
}

/** The bucket could not be read or written: never reported as "not processed". */
export class StorageError extends Error {
  override readonly name = "StorageError";
}

export const STORAGE_UNAVAILABLE = "Storage service temporarily unavailable";
export const INTERNAL_ERROR = "Internal server error";

export interface ErrorAnswer {
  status: ContentfulStatusCode;
  /** The contract's message: what `{"detail": …}` says. */
  detail: string;
  headers: Record<string, string>;
}

/**
 * What a failure answers. A storage outage is logged as a warning, anything unexpected as an
 * error with its stack (`where` says which call failed); neither reaches the caller. A refusal
 * is the caller's to read, logged only at `debug` (DEBUG=true): why a caller keeps being refused.
 */
export function errorAnswer(error: unknown, where: Record<string, unknown>): ErrorAnswer {
  const refusal = refusalAnswer(error);
  if (refusal) {
    log("debug", { msg: "refused", ...where, status: refusal.status, detail: refusal.detail });
    return refusal;
  }
  if (error instanceof StorageError) {
    log("warn", { msg: "storage error", ...where, error: error.message });
    return { status: 503, detail: STORAGE_UNAVAILABLE, headers: {} };
  }
  log("error", { msg: "unhandled error", ...where, error: String(error), stack: (error as Error | null)?.stack });
  return { status: 500, detail: INTERNAL_ERROR, headers: {} };
}

/** Ours (ApiError) or Hono's (HTTPException, e.g. the HMAC check's 401): the caller's to read. */
function refusalAnswer(error: unknown): ErrorAnswer | null {
  if (error instanceof ApiError) return { status: error.status, detail: error.message, headers: error.headers };
  if (error instanceof HTTPException)
    return { status: error.status, detail: error.message || "Request failed", headers: {} };
  return null;
}

/** The HTTP API's error handler: `{"detail": …}` with the mapped status. */
export function onError(error: Error, c: Context): Response {
  const { status, detail, headers } = errorAnswer(error, { path: c.req.path });
  return c.json({ detail }, status, headers);
}
