/**
 * The Worker's HMAC authentication: the shared verifier (shared/hmac-auth.ts) with nonces
 * claimed in sharded Durable Objects, so a replay is refused in every isolate. HMAC_REQUIRE_V2
 * refuses signature version 1; DISABLE_AUTH or no secret turns authentication off. The detailed
 * reason is logged; the wire gets the contract's message, never a secret or a signature.
 */
import type { Context } from "hono";
import { type HmacAuthOptions, authenticate as verifyAndClaim } from "../../../shared/hmac-auth.ts";
import { log } from "../log.ts";
import type { AppEnv } from "../types.ts";

function nonceShard(c: Context<AppEnv>, nonce: string) {
  return c.env.NONCES.get(c.env.NONCES.idFromName(`nonces:${nonce.slice(0, 2).toLowerCase()}`));
}

const options: HmacAuthOptions<AppEnv> = {
  secret: (c) => (c.var.config.DISABLE_AUTH ? null : (c.var.config.HMAC_SHARED_SECRET ?? null)),
  requireV2: (c) => c.var.config.HMAC_REQUIRE_V2,
  claimNonce: (c, nonce, expiresAt) => nonceShard(c, nonce).claim(nonce, expiresAt),
  onReject: (c, reason) => log("warn", { msg: "auth rejected", reason, path: c.req.path }),
};

/** Gives a claimed nonce back: the request it signed was refused for another reason (rate limit). */
export type NonceRelease = () => Promise<void>;

/**
 * Verifies the request's signature (local work) and claims its nonce (one Durable Object round
 * trip); throws the 401. Resolves to a function that releases the nonce, or to null when auth is
 * off. admission.ts runs it beside the rate limit's round trip.
 */
export async function authenticate(c: Context<AppEnv>): Promise<NonceRelease | null> {
  const claimed = await verifyAndClaim(c, options);
  if (!claimed) return null;
  return () => nonceShard(c, claimed.nonce).release(claimed.nonce, claimed.expiresAt);
}
