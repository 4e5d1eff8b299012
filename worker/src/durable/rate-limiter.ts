/**
 * One per client key: a sliding-window log of admitted requests. A Durable Object runs one
 * call at a time, so counting is exact however many isolates send requests; rejected
 * requests are not logged, so a flood does not extend its own ban.
 */
import { DurableObject } from "cloudflare:workers";

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the oldest admitted request leaves the window. */
  resetSeconds: number;
}

export class RateLimiter extends DurableObject<Env> {
  #hits: number[] | null = null;

  async hit(limit: number, windowMs: number, now = Date.now()): Promise<RateDecision> {
    this.#hits ??= (await this.ctx.storage.get<number[]>("hits")) ?? [];
    const hits = this.#hits.filter((t) => t > now - windowMs);
    const allowed = hits.length < limit;
    if (allowed) hits.push(now);
    this.#hits = hits;
    if (allowed) await this.ctx.storage.put("hits", hits);
    const oldest = hits[0] ?? now;
    return {
      allowed,
      limit,
      remaining: Math.max(0, limit - hits.length),
      resetSeconds: Math.max(1, Math.ceil((oldest + windowMs - now) / 1000)),
    };
  }
}
