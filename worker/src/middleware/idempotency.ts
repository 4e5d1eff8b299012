/**
 * `X-Idempotency-Key` (optional, on POST): the same key with the same body within 24 h answers
 * the first request's response instead of doing the work again. The key is claimed in its own
 * Durable Object (../durable/idempotency-store.ts) before the route runs, so concurrent requests
 * with one key cannot all do the work; a route that fails gives the key back.
 */
import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import { IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_PATTERN } from "../../../shared/hmac.ts";
import { ApiError } from "../errors.ts";
import type { AppEnv } from "../types.ts";

/** The header's value, with the contract's message when it is malformed. */
export const IdempotencyKey = z
  .string()
  .regex(IDEMPOTENCY_KEY_PATTERN, { error: `${IDEMPOTENCY_HEADER} must be 16-64 letters, digits or hyphens` });

/**
 * How long a request waits for the first one with its idempotency key and body to answer
 * before it gets 409: a retried request wants the first one's response (that is what the key
 * promises), but is not held open indefinitely.
 */
const IDEMPOTENCY_WAIT_MS = 60_000;

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function idempotency(): MiddlewareHandler<AppEnv> {
  return async function idempotency(c, next) {
    const header = c.req.header(IDEMPOTENCY_HEADER);
    if (header === undefined) return next();
    const key = IdempotencyKey.safeParse(header);
    if (!key.success) throw new ApiError(400, key.error.issues[0]?.message ?? "Invalid idempotency key");
    const store = c.env.IDEMPOTENCY.get(c.env.IDEMPOTENCY.idFromName(key.data));
    // Read through HonoRequest, which keeps the text for the route to parse again.
    const bodyHash = await sha256Hex(await c.req.text());
    const claim = await store.claim(bodyHash, IDEMPOTENCY_WAIT_MS);
    if (claim.outcome === "conflict") {
      throw new ApiError(422, `${IDEMPOTENCY_HEADER} was already used with a different body`);
    }
    if (claim.outcome === "busy") {
      throw new ApiError(409, `${IDEMPOTENCY_HEADER} is in use by a request still in progress; retry later`, {
        "Retry-After": "10",
      });
    }
    if (claim.outcome === "done") {
      const { status, body } = claim.response;
      return c.body(body, status as 200, { "content-type": "application/json", "Idempotent-Replayed": "true" });
    }
    await next();
    // Refused or failed before it had an answer (Hono hands a thrown error to onError and sets
    // c.error; a validation hook answers without throwing): the key is free for a corrected request.
    if (c.error || !c.res.ok) {
      await store.release(bodyHash);
      return;
    }
    await store.complete({ bodyHash, status: c.res.status, body: await c.res.clone().text() });
  };
}
