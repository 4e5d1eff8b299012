/**
 * The HMAC authentication middleware of both sides of the seam: the Worker's public API and the
 * engine's job API. Verification is ./hmac.ts's; what differs is where a nonce is remembered,
 * so the caller passes `claimNonce` (the Worker: sharded Durable Objects, so a replay is refused
 * in every isolate; the engine: its own memory, as it is one process). A refusal is a 401 whose
 * body is the contract's fixed text; the detailed reason goes only to `onReject` (for the log).
 */
import type { Context, Env, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import {
  NONCE_HEADER,
  NONCE_LIFETIME_SECONDS,
  requestTarget,
  SIGNATURE_HEADER,
  SIGNATURE_VERSION_HEADER,
  TIMESTAMP_HEADER,
  VERIFY_FAILURE_TEXT,
  type VerifyFailure,
  verifySignature,
} from "./hmac.ts";

export interface HmacAuthOptions<E extends Env = Env> {
  /** The shared secret; null lets the request through unverified (authentication is off). */
  secret(c: Context<E>): string | null;
  /** Refuse signature version 1. */
  requireV2?(c: Context<E>): boolean;
  /** Claims `nonce` until `expiresAt` (epoch ms); false when it is already claimed. */
  claimNonce(c: Context<E>, nonce: string, expiresAt: number): boolean | Promise<boolean>;
  /** Hears the detailed reason of each refusal, for the log. */
  onReject?(c: Context<E>, reason: VerifyFailure): void;
}

/** The nonce a verified request claimed, and until when (epoch ms). */
export interface ClaimedNonce {
  nonce: string;
  expiresAt: number;
}

/** The contract's 401: `{"detail": "Security validation failed: <reason>"}`, never what was sent. */
export class AuthRejection extends HTTPException {
  readonly reason: VerifyFailure;

  constructor(reason: VerifyFailure) {
    const detail = `Security validation failed: ${VERIFY_FAILURE_TEXT[reason]}`;
    super(401, { message: detail, res: Response.json({ detail }, { status: 401 }) });
    this.reason = reason;
  }
}

function reject<E extends Env>(c: Context<E>, options: HmacAuthOptions<E>, reason: VerifyFailure): never {
  options.onReject?.(c, reason);
  throw new AuthRejection(reason);
}

/**
 * Verifies the request's signature (version 1, or 2 when the request says so) and claims its
 * nonce; throws an `AuthRejection`. Resolves to the claimed nonce, or to null when there is no
 * secret. Apart from the middleware so the Worker can run it beside its rate limit.
 */
export async function authenticate<E extends Env>(
  c: Context<E>,
  options: HmacAuthOptions<E>,
): Promise<ClaimedNonce | null> {
  const secret = options.secret(c);
  if (!secret) return null;
  const body = new Uint8Array(await c.req.raw.clone().arrayBuffer());
  const parts = {
    signature: c.req.header(SIGNATURE_HEADER),
    timestamp: c.req.header(TIMESTAMP_HEADER),
    nonce: c.req.header(NONCE_HEADER),
    version: c.req.header(SIGNATURE_VERSION_HEADER),
  };
  const result = await verifySignature(secret, body, parts, Math.floor(Date.now() / 1000), {
    target: requestTarget(c.req.method, c.req.url),
    requireV2: options.requireV2?.(c) ?? false,
  });
  if (!result.ok) reject(c, options, result.reason);
  const expiresAt = (result.timestamp + NONCE_LIFETIME_SECONDS) * 1000;
  if (!(await options.claimNonce(c, result.nonce, expiresAt))) reject(c, options, "reused_nonce");
  return { nonce: result.nonce, expiresAt };
}

export function hmacAuth<E extends Env>(options: HmacAuthOptions<E>): MiddlewareHandler<E> {
  return async function hmacAuth(c, next) {
    await authenticate(c, options);
    await next();
  };
}
