import { describe, expect, it } from "vitest";
import type { JobEvent } from "../../shared/job.ts";
import { formatBytes, formatDuration, ProgressTracker, plainLine, renderBar } from "../src/progress-bar.ts";

const progress = (percent: number | null, bytes: number | null, total: number | null = null): JobEvent => ({
  type: "progress",
  stage: "downloading",
  percent,
  bytes,
  total_bytes: total,
});

describe("ProgressTracker", () => {
  it("gives the rate since the stage began and the ETA at that pace", () => {
    const tracker = new ProgressTracker();
    tracker.update({ type: "state", stage: "downloading" }, 10_000);
    const early = tracker.update(progress(10, 500_000), 10_500);
    // Half a second in: a rate, but no ETA yet (one early sample is noise).
    expect(early).toMatchObject({ rate: 1_000_000, etaSeconds: null });
    const later = tracker.update(progress(40, 2_000_000), 12_000);
    expect(later?.rate).toBe(1_000_000);
    // 40 % in 2 s: 60 % more takes 3 s.
    expect(later?.etaSeconds).toBeCloseTo(3, 6);
  });

  it("estimates from bytes when there is a total but no percent", () => {
    const tracker = new ProgressTracker();
    tracker.update({ type: "state", stage: "downloading" }, 0);
    expect(tracker.update(progress(null, 400_000, 1_000_000), 2_000)?.etaSeconds).toBeCloseTo(3, 6);
  });

  it("starts over when the stage changes, and ignores the final events", () => {
    const tracker = new ProgressTracker();
    tracker.update({ type: "state", stage: "downloading" }, 0);
    tracker.update(progress(50, 5_000_000), 5_000);
    tracker.update({ type: "state", stage: "uploading" }, 5_000);
    const upload = tracker.update(
      { type: "progress", stage: "uploading", percent: 50, bytes: null, total_bytes: null },
      7_000,
    );
    expect(upload).toMatchObject({ stage: "uploading", rate: null, etaSeconds: 2 });
    expect(
      tracker.update({ type: "failed", error: { code: "timeout", message: "x", retryable: true } }, 8_000),
    ).toBeNull();
  });
});

describe("renderBar and plainLine", () => {
  const snapshot = {
    stage: "downloading" as const,
    percent: 38,
    bytes: 1_234_000,
    totalBytes: null,
    rate: 410_000,
    etaSeconds: 3.2,
  };

  it("draws the bar with percent, bytes, rate and ETA", () => {
    expect(renderBar("tone-a", snapshot, 120)).toBe(
      "tone-a  downloading [#########---------------]  38%  1.2 MB  410 kB/s  ETA 3s",
    );
  });

  it("cuts the line to the terminal's width so it never wraps", () => {
    expect(renderBar("tone-a", snapshot, 40)).toHaveLength(39);
  });

  it("shows an unknown percent as such, and only the figures it has", () => {
    expect(renderBar("x", { ...snapshot, percent: null, rate: null, etaSeconds: null }, 120)).toBe(
      "x  downloading [------------------------]  --%  1.2 MB",
    );
  });

  it("writes one plain line for logs", () => {
    expect(plainLine("tone-a", { ...snapshot, totalBytes: 2_000_000 })).toBe(
      "tone-a: downloading 38% 1.2 MB/2.0 MB 410 kB/s ETA 3s",
    );
  });
});

describe("formatBytes and formatDuration", () => {
  it("prints SI units and minutes", () => {
    expect([900, 65_000, 1_250_000, 2_500_000_000].map(formatBytes)).toEqual(["900 B", "65 kB", "1.3 MB", "2.50 GB"]);
    expect([7, 125, 3_720].map(formatDuration)).toEqual(["7s", "2m05s", "1h02m"]);
  });
});
