/**
 * Per-client rate limiting before anything else, so floods are turned away cheaply. The key is
 * the client's IP for requests from the internet, and the binding's caller name for calls
 * through a service binding (never a header such a caller could set: ../caller.ts). Each key
 * has its own Durable Object: one client's flood never slows another.
 */
import type { Context, MiddlewareHandler } from "hono";
import { clientKey } from "../caller.ts";
import type { WorkerConfig } from "../config.ts";
import type { RateDecision } from "../durable/rate-limiter.ts";
import { ApiError } from "../errors.ts";
import type { AppEnv } from "../types.ts";

/** Counts one request of client `key` in its window (the RPC entrypoint calls this too). */
export function hitRateLimit(env: Env, config: WorkerConfig, key: string): Promise<RateDecision> {
  const { RATE_LIMIT_REQUESTS: limit, RATE_LIMIT_WINDOW_SECONDS: windowSeconds } = config;
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key)).hit(limit, windowSeconds * 1000);
}

/** Starts counting this request (one Durable Object round trip) without waiting for it. */
export function countRequest(c: Context<AppEnv>): Promise<RateDecision> {
  return hitRateLimit(c.env, c.var.config, clientKey(c));
}

/** The rate-limit headers of an allowed request; throws the 429 of a refused one. */
export function enforce(decision: RateDecision): Record<string, string> {
  const headers = {
    "RateLimit-Limit": String(decision.limit),
    "RateLimit-Remaining": String(decision.remaining),
    "RateLimit-Reset": String(decision.resetSeconds),
  };
  if (!decision.allowed) {
    throw new ApiError(429, "Rate limit exceeded", { ...headers, "Retry-After": String(decision.resetSeconds) });
  }
  return headers;
}

export function rateLimit(): MiddlewareHandler<AppEnv> {
  return async function rateLimit(c, next) {
    const headers = enforce(await countRequest(c));
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  };
}
