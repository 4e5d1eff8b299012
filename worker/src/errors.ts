/** Typed HTTP failures, turned into the contract's `{"detail": ...}` body in one place. */
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

export function onError(error: Error, c: Context): Response {
  if (error instanceof ApiError) return c.json({ detail: error.message }, error.status, error.headers);
  if (error instanceof StorageError) {
    log("warn", { msg: "storage error", path: c.req.path, error: error.message });
    return c.json({ detail: STORAGE_UNAVAILABLE }, 503);
  }
  if (error instanceof HTTPException) return c.json({ detail: error.message || "Request failed" }, error.status);
  log("error", { msg: "unhandled error", path: c.req.path, error: String(error), stack: error.stack });
  return c.json({ detail: "Internal server error" }, 500);
}
