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
export function hitRateLimit(
  env: Env,
  config: WorkerConfig,
  key: string,
  limit = config.RATE_LIMIT_REQUESTS,
): Promise<RateDecision> {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key)).hit(limit, config.RATE_LIMIT_WINDOW_SECONDS * 1000);
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

/** Whose allowance a request counts against, and how large it is (the API's when not given). */
export interface RateLimitOptions {
  key?: (c: Context<AppEnv>) => string;
  limit?: (c: Context<AppEnv>) => number;
}

/**
 * Counts the request and refuses it with a 429 past the limit; an allowed response carries the
 * RateLimit-* headers. The API's admission counts in parallel with its signature check (./admission.ts);
 * the console uses this with its own keys and limits.
 */
export function rateLimit(options: RateLimitOptions = {}): MiddlewareHandler<AppEnv> {
  return async function rateLimit(c, next) {
    const key = options.key?.(c) ?? clientKey(c);
    const headers = enforce(await hitRateLimit(c.env, c.var.config, key, options.limit?.(c)));
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  };
}
