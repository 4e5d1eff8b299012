/**
 * Disk needs are checked before a download starts, against the real file system's numbers,
 * and concurrent jobs cannot count the same free space twice.
 */
import { statfs } from "node:fs/promises";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { ClipAudioError } from "../../shared/errors.ts";
import { DISK_MARGIN_BYTES, diskVerdict, estimateDownloadBytes, reserveDisk } from "../src/disk.ts";
import { storesVideo } from "../src/pipeline.ts";

const GB = 1024 ** 3;

describe("diskVerdict", () => {
  it("fits when the need and the margin are free", () => {
    expect(diskVerdict(1 * GB, 2 * GB, 8 * GB)).toBeNull();
  });

  it("refuses for good what no free space could ever hold", () => {
    const error = diskVerdict(9 * GB, 8 * GB, 8 * GB);
    expect(error).toBeInstanceOf(ClipAudioError);
    expect(error?.code).toBe("too_long");
    expect(error?.retryable).toBe(false);
    expect(error?.message).toContain("more than this engine's 8192 MB disk can hold");
  });

  it("asks for a retry when other jobs hold the space", () => {
    const error = diskVerdict(1 * GB, 1 * GB, 8 * GB);
    expect(error?.code).toBe("insufficient_disk");
    expect(error?.retryable).toBe(true);
  });
});

describe("estimateDownloadBytes", () => {
  // The shape of yt-dlp's info for a Twitch VOD (format names and bitrates as Twitch offers them).
  const vod = JSON.stringify({
    formats: [
      { format_id: "Audio_Only", acodec: "mp4a.40.2", vcodec: "none", tbr: 160 },
      { format_id: "360p30", acodec: "mp4a.40.2", tbr: 700 },
      { format_id: "1080p60", acodec: "mp4a.40.2", tbr: 6000 },
      { format_id: "storyboard", acodec: "none", vcodec: "none" },
    ],
  });

  it("estimates audio-only from the smallest format with audio, video from the largest", () => {
    const fourHours = 4 * 3600;
    expect(estimateDownloadBytes(vod, fourHours, true)).toBe((160_000 * fourHours) / 8);
    expect(estimateDownloadBytes(vod, fourHours, false)).toBe((6_000_000 * fourHours) / 8);
  });

  it("prefers stated sizes and gives up without any", () => {
    const sized = JSON.stringify({ formats: [{ acodec: "aac", filesize: 1234, tbr: 9000 }] });
    expect(estimateDownloadBytes(sized, 60, true)).toBe(1234);
    expect(estimateDownloadBytes(JSON.stringify({ formats: [{ acodec: "aac" }] }), 60, true)).toBeNull();
  });
});

describe("reserveDisk", () => {
  it("holds reservations against this machine's real free space until released", async () => {
    const fs = await statfs(tmpdir());
    const free = fs.bavail * fs.bsize;
    const most = free - DISK_MARGIN_BYTES - 64 * 1024 * 1024;
    const release = await reserveDisk(tmpdir(), { downloadBytes: most, wavBytes: 0 });
    await expect(reserveDisk(tmpdir(), { downloadBytes: 128 * 1024 * 1024, wavBytes: 0 })).rejects.toMatchObject({
      code: "insufficient_disk",
    });
    release();
    const again = await reserveDisk(tmpdir(), { downloadBytes: 128 * 1024 * 1024, wavBytes: 0 });
    again();
    await expect(reserveDisk(tmpdir(), { downloadBytes: fs.blocks * fs.bsize, wavBytes: 1 })).rejects.toMatchObject({
      code: "too_long",
    });
  });
});

it("never stores a VOD's video; clips follow the setting", () => {
  expect(storesVideo({ kind: "vod" }, true)).toBe(false);
  expect(storesVideo({ kind: "clip" }, true)).toBe(true);
  expect(storesVideo({ kind: "clip" }, false)).toBe(false);
});
