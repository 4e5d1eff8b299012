/**
 * `X-Idempotency-Key` (optional, on POST): the same key with the same body within 24 h answers
 * the first request's response instead of doing the work again. The key is claimed in its own
 * Durable Object (../durable/idempotency-store.ts) before the route runs, so concurrent requests
 * with one key cannot all do the work; a route that fails gives the key back.
 *
 * The RPC door (../rpc.ts) takes the same promise through `claimIdempotencyKey`, with keys kept
 * apart per calling Worker.
 */
import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import { IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_PATTERN } from "../../../shared/hmac.ts";
import type { StoredResponse } from "../durable/idempotency-store.ts";
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

/** A claimed key: replay the stored response, or do the work and then complete or release it. */
export type IdempotencyClaim =
  | { replay: StoredResponse }
  | {
      replay: null;
      complete(status: number, body: string): Promise<void>;
      release(): Promise<void>;
    };

/**
 * Claims `key` (validated here) for `body`; a different body is 422, the same body still in
 * progress after the wait is 409. `scope` keeps one door's or caller's keys apart from another's.
 */
export async function claimIdempotencyKey(env: Env, key: string, body: string, scope = ""): Promise<IdempotencyClaim> {
  const parsed = IdempotencyKey.safeParse(key);
  if (!parsed.success) throw new ApiError(400, parsed.error.issues[0]?.message ?? "Invalid idempotency key");
  const store = env.IDEMPOTENCY.get(env.IDEMPOTENCY.idFromName(scope + parsed.data));
  const bodyHash = await sha256Hex(body);
  const claim = await store.claim(bodyHash, IDEMPOTENCY_WAIT_MS);
  if (claim.outcome === "conflict") {
    throw new ApiError(422, `${IDEMPOTENCY_HEADER} was already used with a different body`);
  }
  if (claim.outcome === "busy") {
    throw new ApiError(409, `${IDEMPOTENCY_HEADER} is in use by a request still in progress; retry later`, {
      "Retry-After": "10",
    });
  }
  if (claim.outcome === "done") return { replay: claim.response };
  return {
    replay: null,
    complete: (status, text) => store.complete({ bodyHash, status, body: text }),
    release: () => store.release(bodyHash),
  };
}

export function idempotency(): MiddlewareHandler<AppEnv> {
  return async function idempotency(c, next) {
    const header = c.req.header(IDEMPOTENCY_HEADER);
    if (header === undefined) return next();
    // Read through HonoRequest, which keeps the text for the route to parse again.
    const claim = await claimIdempotencyKey(c.env, header, await c.req.text());
    if (claim.replay) {
      const { status, body } = claim.replay;
      return c.body(body, status as 200, { "content-type": "application/json", "Idempotent-Replayed": "true" });
    }
    await next();
    // Refused or failed before it had an answer (Hono hands a thrown error to onError and sets
    // c.error; a validation hook answers without throwing): the key is free for a corrected request.
    if (c.error || !c.res.ok) return claim.release();
    await claim.complete(c.res.status, await c.res.clone().text());
  };
}
