import { describe, expect, it } from "vitest";
import { chunkObjectMetadata, clipIdFromWavKey, fixedClipKeys, keys, wavObjectMetadata } from "./keys.ts";

describe("bucket layout", () => {
  it("builds every key of the contract", () => {
    expect(keys.video("AbC")).toBe("clips/AbC.mp4");
    expect(keys.callerRecord("AbC")).toBe("clips/AbC.json");
    expect(keys.wav("AbC")).toBe("audio/AbC.wav");
    expect(keys.manifest("AbC")).toBe("audio/AbC.json");
    expect(keys.chunkPrefix("AbC")).toBe("audio/AbC/");
    expect(keys.chunk("AbC", 0)).toBe("audio/AbC/chunk_000.wav");
    expect(keys.chunk("AbC", 42)).toBe("audio/AbC/chunk_042.wav");
    expect(keys.chunk("AbC", 1234)).toBe("audio/AbC/chunk_1234.wav");
    expect(keys.transcript("AbC", "vtt")).toBe("transcripts/AbC.vtt");
    expect(keys.peaks("AbC")).toBe("audio/AbC.peaks.json");
  });

  it("lists every fixed key of a clip for cleanup, never the caller's record", () => {
    expect(fixedClipKeys("x")).toEqual([
      "clips/x.mp4",
      "audio/x.wav",
      "audio/x.json",
      "audio/x.peaks.json",
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

  it("writes the original's WAV metadata as strings: source twitch, created_at the processing time", () => {
    expect(
      wavObjectMetadata({
        clipId: "A",
        sourceKind: "clip",
        processedAt: new Date("2026-11-24T01:02:03.456Z"),
        sampleRate: 16000,
        channels: 1,
        durationSeconds: 29.97,
      }),
    ).toEqual({
      status: "ready_for_asr",
      source: "twitch",
      created_at: "2026-11-24T01:02:03Z",
      clip_id: "A",
      sample_rate: "16000",
      channels: "1",
      duration: "29.970",
      source_kind: "clip",
    });
  });

  it("writes the original's chunk metadata: the whole clip's duration, total_chunks, chunk_type", () => {
    const whole = wavObjectMetadata({
      clipId: "A",
      sourceKind: "vod",
      processedAt: new Date("2026-11-24T01:02:03Z"),
      sampleRate: 16000,
      channels: 1,
      durationSeconds: 312.5,
    });
    expect(chunkObjectMetadata(whole, { index: 2, total: 11, startSeconds: 57.25, durationSeconds: 29.5 })).toEqual({
      ...whole,
      duration: "312.500",
      chunk_index: "2",
      total_chunks: "11",
      chunk_type: "audio_segment",
      chunk_start: "57.250",
      chunk_duration: "29.500",
    });
  });
});
