import { describe, expect, it } from "vitest";
import { TokenBucket } from "./shaper.ts";

describe("TokenBucket", () => {
  it("lets a burst through, then paces at the link speed", () => {
    const now = 0;
    // 8 Mbit/s = 1000 bytes per ms; 10 000 bytes of burst = 10 ms.
    const bucket = new TokenBucket({ bitsPerSecond: 8e6, burstBytes: 10_000, now: () => now });
    expect(bucket.reserve(10_000)).toBe(0);
    expect(bucket.reserve(5_000)).toBe(5);
    expect(bucket.reserve(5_000)).toBe(10);
  });

  it("holds the long-run rate whatever the sender's timing", () => {
    let now = 0;
    const bucket = new TokenBucket({ bitsPerSecond: 8e6, burstBytes: 64 * 1024, now: () => now });
    let sent = 0;
    // A sender that always oversleeps by 3 ms still gets exactly the link rate, never more.
    while (now < 10_000) {
      const wait = bucket.reserve(65_536);
      sent += 65_536;
      now += wait + 3;
    }
    const rate = sent / now;
    expect(rate).toBeLessThanOrEqual(1000 * 1.01);
    expect(rate).toBeGreaterThan(1000 * 0.9);
  });

  it("is shared: two senders split the link", () => {
    const now = 0;
    const bucket = new TokenBucket({ bitsPerSecond: 8e6, burstBytes: 0, now: () => now });
    const a = bucket.reserve(1000);
    const b = bucket.reserve(1000);
    expect(a).toBe(1);
    expect(b).toBe(2);
  });

  it("rejects a non-positive speed", () => {
    expect(() => new TokenBucket({ bitsPerSecond: 0 })).toThrow(RangeError);
  });
});
