import { describe, expect, it } from "vitest";
import { clipIdFromWavKey, fixedClipKeys, keys, wavObjectMetadata } from "./keys.ts";

describe("bucket layout", () => {
  it("builds every key of the contract", () => {
    expect(keys.video("AbC")).toBe("clips/AbC.mp4");
    expect(keys.videoMetadata("AbC")).toBe("clips/AbC.json");
    expect(keys.wav("AbC")).toBe("audio/AbC.wav");
    expect(keys.manifest("AbC")).toBe("audio/AbC.json");
    expect(keys.chunkPrefix("AbC")).toBe("audio/AbC/");
    expect(keys.chunk("AbC", 0)).toBe("audio/AbC/chunk_000.wav");
    expect(keys.chunk("AbC", 42)).toBe("audio/AbC/chunk_042.wav");
    expect(keys.chunk("AbC", 1234)).toBe("audio/AbC/chunk_1234.wav");
    expect(keys.transcript("AbC", "vtt")).toBe("transcripts/AbC.vtt");
  });

  it("lists every fixed key of a clip for cleanup", () => {
    expect(fixedClipKeys("x")).toEqual([
      "clips/x.mp4",
      "clips/x.json",
      "audio/x.wav",
      "audio/x.json",
      "transcripts/x.json",
      "transcripts/x.txt",
      "transcripts/x.vtt",
      "transcripts/x.ok",
    ]);
  });

  it("reads a clip id back from its WAV key only", () => {
    expect(clipIdFromWavKey(keys.wav("A-b_1"))).toBe("A-b_1");
    expect(clipIdFromWavKey(keys.chunk("A", 0))).toBeNull();
    expect(clipIdFromWavKey(keys.manifest("A"))).toBeNull();
    expect(clipIdFromWavKey("clips/A.wav")).toBeNull();
  });

  it("writes the original's WAV metadata as strings", () => {
    expect(
      wavObjectMetadata({
        clipId: "A",
        source: "https://clips.twitch.tv/A",
        createdAt: "2026-11-24T00:00:00Z",
        sampleRate: 16000,
        channels: 1,
        durationSeconds: 29.97,
      }),
    ).toEqual({
      status: "ready_for_asr",
      source: "https://clips.twitch.tv/A",
      created_at: "2026-11-24T00:00:00Z",
      clip_id: "A",
      sample_rate: "16000",
      channels: "1",
      duration: "29.970",
    });
  });
});
