/** A whole drain must not spend a job's interruptions: the waits outlast it. */
import { describe, expect, it } from "vitest";
import { engineEnvSchema } from "../../shared/config.ts";
import { MAX_INTERRUPTIONS, restartWaitMs } from "../src/durable/interruptions.ts";

describe("waiting out a restarting engine", () => {
  it("waits 15 s, 30 s, then a minute at a time", () => {
    expect([1, 2, 3, 4, 20].map(restartWaitMs)).toEqual([15_000, 30_000, 60_000, 60_000, 60_000]);
  });

  it("outlasts the longest drain plus Cloudflare's kill before the interruptions run out", () => {
    const longestDrainMs = engineEnvSchema.shape.DRAIN_SECONDS.parse("900") * 1000;
    let waited = 0;
    for (let n = 1; n < MAX_INTERRUPTIONS; n++) waited += restartWaitMs(n);
    expect(waited).toBeGreaterThan(longestDrainMs);
  });
});
