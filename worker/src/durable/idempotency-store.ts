/**
 * One per X-Idempotency-Key. The key is claimed before any work, in one Durable Object call
 * (a call's storage reads and writes are not interleaved with another's), so of concurrent
 * requests with one key exactly one does the work:
 *   (none) → in_progress {bodyHash} → done {bodyHash, status, body}, replayed for 24 h.
 * The same body while the first runs waits for its response; another body is refused at once.
 * A claim whose request died is given up after its lease.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { migrate } from "./migrations.ts";

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/** A claim not completed within this long belongs to a request that died (a sync run of ten clips ends well inside). */
export const CLAIM_LEASE_MS = 30 * 60 * 1000;

const StoredResponse = z.object({ bodyHash: z.string(), status: z.number().int(), body: z.string() });
export type StoredResponse = z.infer<typeof StoredResponse>;

/** The key's one record, validated on read. */
const Entry = z.discriminatedUnion("state", [
  z.object({ state: z.literal("in_progress"), bodyHash: z.string(), leaseUntil: z.number() }),
  StoredResponse.extend({ state: z.literal("done"), expiresAt: z.number() }),
]);
type Entry = z.infer<typeof Entry>;

export type ClaimOutcome =
  /** This request does the work, then calls `complete` or `release`. */
  | { outcome: "claimed" }
  /** The key was used with another body. */
  | { outcome: "conflict" }
  /** The first request with this body is still running after the wait. */
  | { outcome: "busy" }
  | { outcome: "done"; response: StoredResponse };

export class IdempotencyStore extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // No steps yet: the record's first shape needs none; a change of its shape adds one.
    migrate(ctx.storage, []);
  }

  /** Wakes requests waiting for the first one to complete or give up. */
  #waiters = new Set<() => void>();

  /** Claims the key for `bodyHash`, waiting up to `waitMs` while the same body is in progress. */
  async claim(bodyHash: string, waitMs: number): Promise<ClaimOutcome> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const entry = await this.#entry();
      const now = Date.now();
      if (!entry || (entry.state === "in_progress" && entry.leaseUntil <= now)) {
        await this.#put({ state: "in_progress", bodyHash, leaseUntil: now + CLAIM_LEASE_MS });
        return { outcome: "claimed" };
      }
      if (entry.bodyHash !== bodyHash) return { outcome: "conflict" };
      if (entry.state === "done") {
        return { outcome: "done", response: { bodyHash, status: entry.status, body: entry.body } };
      }
      if (now >= deadline) return { outcome: "busy" };
      await this.#changed(deadline - now);
    }
  }

  /** Stores the response of the claimed work, for replays. */
  async complete(response: StoredResponse): Promise<void> {
    const entry = await this.#entry();
    if (entry?.state !== "in_progress" || entry.bodyHash !== response.bodyHash) return;
    await this.#put({ state: "done", ...response, expiresAt: Date.now() + IDEMPOTENCY_TTL_MS });
    this.#wake();
  }

  /** Gives the claim up (the work failed before it had a response worth replaying). */
  async release(bodyHash: string): Promise<void> {
    const entry = await this.#entry();
    if (entry?.state === "in_progress" && entry.bodyHash === bodyHash) await this.ctx.storage.delete("entry");
    this.#wake();
  }

  override async alarm(): Promise<void> {
    const entry = await this.#entry();
    if (!entry) return this.ctx.storage.deleteAll();
    const until = entry.state === "done" ? entry.expiresAt : entry.leaseUntil;
    if (until <= Date.now()) await this.ctx.storage.deleteAll();
    else await this.ctx.storage.setAlarm(until);
  }

  async #entry(): Promise<Entry | undefined> {
    const stored = await this.ctx.storage.get("entry");
    return stored === undefined ? undefined : Entry.parse(stored);
  }

  async #put(entry: Entry): Promise<void> {
    await this.ctx.storage.put("entry", entry);
    await this.ctx.storage.setAlarm(entry.state === "done" ? entry.expiresAt : entry.leaseUntil);
  }

  #changed(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const waiters = this.#waiters;
      function done() {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
      waiters.add(done);
    });
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
