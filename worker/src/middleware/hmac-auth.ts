/**
 * HMAC request authentication with the shared verifier (signature version 1, or 2 when the
 * request says so; HMAC_REQUIRE_V2 refuses version 1); nonces are claimed in sharded Durable
 * Objects so a replay is refused in every isolate. The detailed reason is logged; the wire gets
 * the contract's message, never a secret or a signature.
 */
import type { Context, MiddlewareHandler } from "hono";
import {
  MAX_CLOCK_SKEW_SECONDS,
  NONCE_HEADER,
  requestTarget,
  SIGNATURE_HEADER,
  SIGNATURE_VERSION_HEADER,
  TIMESTAMP_HEADER,
  VERIFY_FAILURE_TEXT,
  type VerifyFailure,
  verifySignature,
} from "../../../shared/hmac.ts";
import { ApiError } from "../errors.ts";
import { log } from "../log.ts";
import type { AppEnv } from "../types.ts";

function reject(reason: VerifyFailure, path: string): never {
  log("warn", { msg: "auth rejected", reason, path });
  throw new ApiError(401, `Security validation failed: ${VERIFY_FAILURE_TEXT[reason]}`);
}

/** Gives a claimed nonce back: the request it signed was refused for another reason (rate limit). */
export type NonceRelease = () => Promise<void>;

/**
 * Verifies the request's signature (local work) and claims its nonce (one Durable Object round
 * trip); throws the 401. Resolves to a function that releases the nonce, or to null when auth is
 * off. Split from the middleware so admission.ts can run it beside the rate limit's round trip.
 */
export async function authenticate(c: Context<AppEnv>): Promise<NonceRelease | null> {
  const secret = c.var.config.HMAC_SHARED_SECRET;
  if (c.var.config.DISABLE_AUTH || !secret) return null;
  const body = new Uint8Array(await c.req.raw.clone().arrayBuffer());
  const nowSeconds = Math.floor(Date.now() / 1000);
  const parts = {
    signature: c.req.header(SIGNATURE_HEADER),
    timestamp: c.req.header(TIMESTAMP_HEADER),
    nonce: c.req.header(NONCE_HEADER),
    version: c.req.header(SIGNATURE_VERSION_HEADER),
  };
  const result = await verifySignature(secret, body, parts, nowSeconds, {
    target: requestTarget(c.req.method, c.req.url),
    requireV2: c.var.config.HMAC_REQUIRE_V2,
  });
  if (!result.ok) reject(result.reason, c.req.path);
  // A nonce must be remembered as long as its timestamp could still be accepted.
  const expiresAt = (result.timestamp + MAX_CLOCK_SKEW_SECONDS + 1) * 1000;
  const shard = c.env.NONCES.get(c.env.NONCES.idFromName(`nonces:${result.nonce.slice(0, 2).toLowerCase()}`));
  if (!(await shard.claim(result.nonce, expiresAt))) reject("reused_nonce", c.req.path);
  return () => shard.release(result.nonce, expiresAt);
}

export function hmacAuth(): MiddlewareHandler<AppEnv> {
  return async function hmacAuth(c, next) {
    await authenticate(c);
    await next();
  };
}
