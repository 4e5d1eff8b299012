import { describe, expect, it } from "vitest";
import { ACTIVE_STATES, canTransition, FINISHED_STATES, isActive, JobState, RESTING_STATES } from "./job-state.ts";
import { ClipState } from "./schemas.ts";

describe("a clip job's states", () => {
  it("are the contract's ClipState less not_found, each either active or finished", () => {
    expect(JobState.options).toEqual(ClipState.options.filter((s) => s !== "not_found"));
    expect([...ACTIVE_STATES, ...FINISHED_STATES].sort()).toEqual([...JobState.options].sort());
    expect(RESTING_STATES).toEqual(["completed", "failed", "not_found"]);
    expect(ClipState.options.filter(isActive)).toEqual(["queued", "downloading", "extracting", "uploading"]);
  });

  it("start queued", () => {
    expect(JobState.options.filter((to) => canTransition(null, to))).toEqual(["queued"]);
  });

  it("move freely while the job works (a restart begins again, a retry queues it)", () => {
    for (const from of ACTIVE_STATES) expect(JobState.options.every((to) => canTransition(from, to))).toBe(true);
    expect(canTransition("extracting", "downloading")).toBe(true);
  });

  it("leave a finished job only for new work, or to the same end again", () => {
    expect(JobState.options.filter((to) => canTransition("completed", to))).toEqual(["queued", "completed"]);
    expect(JobState.options.filter((to) => canTransition("failed", to))).toEqual(["queued", "failed"]);
  });
});
