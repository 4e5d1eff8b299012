/**
 * yt-dlp: one metadata call, then the download of the chosen format to stdout, replaying the
 * saved info JSON so the source page is not fetched a second time.
 */
import { writeFile } from "node:fs/promises";
import { execa } from "execa";
import { ClipAudioError } from "../../shared/errors.ts";
import type { ClipMetadata } from "../../shared/schemas.ts";
import type { Source } from "./source.ts";
import { type Classifier, processOptions, type RunLimits, runText } from "./subprocess.ts";

export const YT_DLP = "yt-dlp";

/** Both Twitch clip renditions carry the same AAC track; portrait ones are crops of the same. */
const NOT_PORTRAIT = "[format_id!*=portrait]";
/**
 * Audio only: an audio-only format when there is one (VOD `Audio_Only`), else the smallest
 * rendition that carries audio. `-S +size,+br,+res` sorts smallest first, so "best" by that
 * order is the smallest; portrait renditions are excluded explicitly because yt-dlp ranks
 * them oddly.
 */
const AUDIO_SELECTION = ["-f", `ba${NOT_PORTRAIT}/b${NOT_PORTRAIT}/b`, "-S", "+size,+br,+res"];
/** Video stored: the best single file with audio, as the original stored it. */
const VIDEO_SELECTION = ["-f", `b${NOT_PORTRAIT}/b`];

/**
 * Clips and VODs need only Twitch's extractors (plus generic and html5, for a custom
 * CLIP_SOURCE_URL_TEMPLATE such as the local fixture server): naming them spares yt-dlp
 * matching the URL and page against ~1,800 extractors — measured 0.70 s → 0.23 s per call on
 * the fixture page.
 */
function extractorArgs(source: Source): string[] {
  return source.kind === "url" ? [] : ["--use-extractors", "twitch.*,generic,html5"];
}

export interface SourceInfo {
  /** yt-dlp's info JSON, as it printed it. */
  json: string;
  duration: number | null;
  metadata: ClipMetadata;
}

const classifyYtDlp: Classifier = (stderr) => {
  if (/PersistedQueryNotFound|Unable to extract|Failed to parse JSON|extractor.*(?:outdated|broken)/i.test(stderr)) {
    return {
      code: "extractor_outdated",
      message: "yt-dlp could not read the source page; its Twitch support is probably outdated: update yt-dlp",
    };
  }
  if (/HTTP Error 404|does not exist|not found|Unsupported URL|no video formats/i.test(stderr)) {
    return { code: "not_found", message: "The clip or video does not exist (deleted, or unknown id)" };
  }
  if (/HTTP Error 403|geo|not available in your country|subscri|only available|private|login|members/i.test(stderr)) {
    return { code: "unavailable", message: "The clip or video is not available (region, subscriber-only or private)" };
  }
  if (/timed out|Read timed out/i.test(stderr))
    return { code: "timeout", message: "The source did not answer in time" };
  return null;
};

function asString(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function createdAt(info: Record<string, unknown>): string | null {
  if (typeof info.timestamp === "number") return new Date(info.timestamp * 1000).toISOString();
  const day = asString(info.upload_date);
  return day && /^\d{8}$/.test(day) ? `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}` : null;
}

function toMetadata(clipId: string, url: string, info: Record<string, unknown>): ClipMetadata {
  return {
    clip_id: clipId,
    title: asString(info.title),
    broadcaster: asString(info.uploader) ?? asString(info.channel) ?? asString(info.creator),
    created_at: createdAt(info),
    duration: typeof info.duration === "number" ? info.duration : null,
    view_count: typeof info.view_count === "number" ? Math.round(info.view_count) : null,
    url,
  };
}

export async function fetchSourceInfo(source: Source, limits: RunLimits): Promise<SourceInfo> {
  const args = [
    "--dump-single-json",
    "--no-playlist",
    "--no-warnings",
    "--no-progress",
    ...extractorArgs(source),
    source.url,
  ];
  const json = await runText(YT_DLP, args, limits, "Reading the source with yt-dlp", "download_failed", classifyYtDlp);
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(json) as Record<string, unknown>;
  } catch (error) {
    throw new ClipAudioError("extractor_outdated", "yt-dlp printed no usable metadata; update yt-dlp", {
      cause: error,
    });
  }
  const duration = typeof info.duration === "number" ? info.duration : null;
  return { json, duration, metadata: toMetadata(source.id, source.url, info) };
}

/**
 * Starts the download of the chosen format to stdout. `infoPath` holds the saved metadata
 * (`saveInfo`), so yt-dlp goes straight to the media. Not async on purpose: an async function
 * would await the subprocess (a thenable) instead of handing back its streams.
 */
export function startDownload(infoPath: string, source: Source, audioOnly: boolean, limits: RunLimits) {
  const range = source.range ? ["--download-sections", `*${source.range.startSeconds}-${source.range.endSeconds}`] : [];
  const args = [
    ...extractorArgs(source),
    "--load-info-json",
    infoPath,
    ...(audioOnly ? AUDIO_SELECTION : VIDEO_SELECTION),
    ...range,
    "--no-warnings",
    "--no-progress",
    "--no-part",
    "-o",
    "-",
  ];
  return execa(YT_DLP, args, { ...processOptions(limits), stdout: "pipe", buffer: { stdout: false } });
}

export function saveInfo(infoPath: string, info: SourceInfo): Promise<void> {
  return writeFile(infoPath, info.json);
}

export { classifyYtDlp };
