/**
 * Server-side bandwidth shaping: one token bucket per simulated link, shared by every response
 * the fixture server sends, so concurrent downloads split the link as they would on a real one.
 *
 * Implemented as GCRA (the "virtual scheduling" form of a token bucket): each send of `n` bytes
 * advances a theoretical arrival time by n / rate; a sender waits until that time minus the burst
 * tolerance. Oversleeping (timers are coarse) is paid back by the burst allowance, so the long-run
 * rate is exact and does not depend on timer precision.
 */
import { setTimeout as sleep } from "node:timers/promises";

export interface TokenBucketOptions {
  /** Link speed in bits per second. */
  bitsPerSecond: number;
  /** Bytes that may be sent back to back without waiting (the bucket's depth). */
  burstBytes?: number;
  /** Clock in milliseconds (tests pass a fake one). */
  now?: () => number;
}

/** Default bucket depth: 64 KiB, about 10 ms at 50 Mbit/s, so bursts stay short. */
export const DEFAULT_BURST_BYTES = 64 * 1024;

export class TokenBucket {
  readonly bytesPerMs: number;
  readonly burstMs: number;
  private readonly now: () => number;
  /** Theoretical arrival time (ms) of the next byte at the configured rate. */
  private tat = 0;

  constructor(options: TokenBucketOptions) {
    if (!(options.bitsPerSecond > 0)) throw new RangeError("bitsPerSecond must be positive");
    this.bytesPerMs = options.bitsPerSecond / 8 / 1000;
    this.burstMs = (options.burstBytes ?? DEFAULT_BURST_BYTES) / this.bytesPerMs;
    this.now = options.now ?? (() => performance.now());
  }

  /** Reserves `bytes` on the link; returns how many ms the caller must wait before sending them. */
  reserve(bytes: number): number {
    const now = this.now();
    this.tat = Math.max(this.tat, now) + bytes / this.bytesPerMs;
    return Math.max(0, this.tat - this.burstMs - now);
  }

  /** Waits until `bytes` may be sent. */
  async take(bytes: number): Promise<void> {
    const wait = this.reserve(bytes);
    if (wait >= 1) await sleep(wait);
  }
}
