/** A background clip's result, POSTed to the caller's callback URL: signed like a request to us. */

import { signRequest } from "../../../shared/hmac.ts";
import type { ClipResult } from "../../../shared/schemas.ts";
import { log } from "../log.ts";

const CALLBACK_ATTEMPTS = 3;
const CALLBACK_BACKOFF_MS = 1_000;
const CALLBACK_TIMEOUT_MS = 10_000;

/** Delivers the result with a few retries; a callback that never answers is only logged. */
export async function postCallback(url: string, secret: string, taskIds: string[], result: ClipResult): Promise<void> {
  const body = JSON.stringify({ task_ids: taskIds, result });
  for (let attempt = 1; attempt <= CALLBACK_ATTEMPTS; attempt++) {
    try {
      const headers = { "content-type": "application/json", ...(await signRequest(secret, body)) };
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
