/**
 * Disk space, checked before a download starts. A job needs room for the downloaded file (it is
 * always written: it is the stored video or the fallback decode input) and for the whole WAV;
 * chunks are streamed from the WAV and need none. A 4-hour VOD can outgrow a container's disk,
 * and running out halfway would waste the download and fail late. Jobs running at the same time
 * reserve their share, so two large jobs cannot both count the same free space.
 */
import { statfs } from "node:fs/promises";
import { ClipAudioError } from "../../shared/errors.ts";

/** Kept free besides the estimate: logs, yt-dlp's info JSON, estimates that ran short. */
export const DISK_MARGIN_BYTES = 256 * 1024 * 1024;

let reserved = 0;

export interface DiskNeed {
  downloadBytes: number | null;
  wavBytes: number | null;
}

const mb = (bytes: number) => `${Math.ceil(bytes / 1024 / 1024)} MB`;

/** The decision alone: null when the job fits, else the error to fail it with. */
export function diskVerdict(need: number, free: number, capacity: number): ClipAudioError | null {
  if (need + DISK_MARGIN_BYTES > capacity) {
    return new ClipAudioError(
      "too_long",
      `The source needs about ${mb(need)} of disk, more than this engine's ${mb(capacity)} disk can hold: process it in ranges (a VOD URL with #start-end)`,
    );
  }
  if (need + DISK_MARGIN_BYTES > free) {
    return new ClipAudioError(
      "insufficient_disk",
      `The source needs about ${mb(need)} of disk and ${mb(free)} is free now (other jobs are using it): retried later`,
    );
  }
  return null;
}

/** Reserves the job's disk need in `dir`, or throws; the returned function gives it back. */
export async function reserveDisk(dir: string, need: DiskNeed): Promise<() => void> {
  const bytes = (need.downloadBytes ?? 0) + (need.wavBytes ?? 0);
  if (bytes === 0) return () => undefined;
  const fs = await statfs(dir);
  const failure = diskVerdict(bytes, fs.bavail * fs.bsize - reserved, fs.blocks * fs.bsize);
  if (failure) throw failure;
  reserved += bytes;
  let released = false;
  return () => {
    if (!released) reserved -= bytes;
    released = true;
  };
}

interface FormatInfo {
  filesize?: unknown;
  filesize_approx?: unknown;
  tbr?: unknown;
  acodec?: unknown;
}

/**
 * What the download will weigh, from yt-dlp's format list: the smallest format with audio when
 * only audio is wanted (what the selection picks), the largest when the video is kept. Null
 * when no format states a size or bitrate.
 */
export function estimateDownloadBytes(infoJson: string, duration: number | null, audioOnly: boolean): number | null {
  const info = JSON.parse(infoJson) as { formats?: FormatInfo[] };
  const sizes = (info.formats ?? [])
    .filter((f) => !audioOnly || f.acodec !== "none")
    .map((f) => formatBytes(f, duration))
    .filter((size): size is number => size !== null);
  if (sizes.length === 0) return null;
  return audioOnly ? Math.min(...sizes) : Math.max(...sizes);
}

function formatBytes(format: FormatInfo, duration: number | null): number | null {
  if (typeof format.filesize === "number") return format.filesize;
  if (typeof format.filesize_approx === "number") return format.filesize_approx;
  if (typeof format.tbr === "number" && duration !== null) return (format.tbr * 1000 * duration) / 8;
  return null;
}
