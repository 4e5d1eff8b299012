import { describe, expect, it } from "vitest";
import { ClipAudioError } from "./errors.ts";
import { JobEvent } from "./job.ts";
import { ListProcessedQuery, ProcessClipsRequest } from "./schemas.ts";

describe("ProcessClipsRequest", () => {
  it("fills the contract's defaults", () => {
    expect(ProcessClipsRequest.parse({ clip_ids: ["a"] })).toEqual({
      clip_ids: ["a"],
      background: false,
      force: false,
    });
  });

  it("rejects wrong types and non-http callback URLs", () => {
    expect(ProcessClipsRequest.safeParse({ clip_ids: "a" }).success).toBe(false);
    expect(ProcessClipsRequest.safeParse({ clip_ids: [1] }).success).toBe(false);
    expect(ProcessClipsRequest.safeParse({ clip_ids: ["a"], background: "yes" }).success).toBe(false);
    expect(ProcessClipsRequest.safeParse({ clip_ids: ["a"], callback_url: "ftp://x/y" }).success).toBe(false);
    expect(ProcessClipsRequest.safeParse({ clip_ids: ["a"], callback_url: "https://hooks.example/done" }).success).toBe(
      true,
    );
  });
});

describe("ListProcessedQuery", () => {
  it.each([
    [{}, 50],
    [{ limit: "0" }, 1],
    [{ limit: "5000" }, 1000],
    [{ limit: "20" }, 20],
    [{ limit: "abc" }, 50],
    [{ limit: "1.5" }, 50],
    [{ limit: "" }, 50],
    [{ limit: " " }, 50],
    [{ limit: 7 }, 7],
  ])("clamps %o to %d", (query, limit) => {
    expect(ListProcessedQuery.parse(query).limit).toBe(limit);
  });

  it("reads an empty cursor as none", () => {
    expect(ListProcessedQuery.parse({ cursor: "" }).cursor).toBeUndefined();
    expect(ListProcessedQuery.parse({ cursor: "YXVkaW8vZnoud2F2" }).cursor).toBe("YXVkaW8vZnoud2F2");
  });
});

describe("JobEvent", () => {
  it("accepts progress and failure events and refuses unknown types", () => {
    expect(
      JobEvent.parse({ type: "progress", stage: "downloading", percent: 12.5, bytes: 100, total_bytes: 800 }),
    ).toMatchObject({ type: "progress" });
    const failed = { type: "failed", error: new ClipAudioError("too_long", "Video is 5 h long").toJSON() };
    expect(JobEvent.parse(failed)).toEqual({
      type: "failed",
      error: { code: "too_long", message: "Video is 5 h long", retryable: false },
    });
    expect(JobEvent.safeParse({ type: "exploded" }).success).toBe(false);
  });

  it("marks transient codes retryable", () => {
    expect(new ClipAudioError("timeout", "x").retryable).toBe(true);
    expect(new ClipAudioError("not_found", "x").retryable).toBe(false);
  });
});
