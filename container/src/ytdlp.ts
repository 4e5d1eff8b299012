/**
 * yt-dlp: one extraction in a resident worker (extractor.ts: yt_dlp already imported), which
 * also selects the format; Node then fetches a progressive HTTP(S) format itself (transfer.ts).
 * Anything else (HLS, a VOD's time range) is downloaded by the yt-dlp command to stdout,
 * replaying the saved info JSON so the source page is not fetched a second time.
 */
import { writeFile } from "node:fs/promises";
import { ClipAudioError, type ErrorCode } from "../../shared/errors.ts";
import type { ClipMetadata } from "../../shared/schemas.ts";
import { describeYtDlp } from "../../shared/ytdlp-age.ts";
import { type ExtractorPool, extractors } from "./extractor.ts";
import type { Source } from "./source.ts";
import { type Classifier, type RunLimits, startTool, stderrTail, toolVersion } from "./subprocess.ts";

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

/** A format yt-dlp selected: where its bytes are and the headers to ask with. */
export interface ChosenFormat {
  url: string;
  protocol: string;
  headers: Record<string, string>;
}

export interface SourceInfo {
  /** yt-dlp's info JSON, as --dump-single-json prints it. */
  json: string;
  duration: number | null;
  metadata: ClipMetadata;
  /** What the selection chose (two entries when video and audio come apart). */
  formats: ChosenFormat[];
}

/** Retrying cannot help until yt-dlp is updated; the installed version is appended. */
const OUTDATED =
  "yt-dlp could not read Twitch's answer: its Twitch support is out of date (Twitch changed its " +
  "private API). Update yt-dlp (README, 'Updating yt-dlp'); retrying will not help";
const NETWORK_DOWN =
  "The network is unreachable from the engine: a DNS lookup failed (offline?). The job is " +
  "retried; check the engine's network";

interface Signature {
  pattern: RegExp;
  code: ErrorCode;
  message: string;
}

/**
 * What yt-dlp prints on stderr when it fails, first match wins. Every pattern is quoted from
 * yt-dlp's source (2026.08.19) or from its issues; container/test/ytdlp-classify.test.ts has one
 * case per signature, with its origin.
 */
const SIGNATURES: readonly Signature[] = [
  // A KeyError/StopIteration inside the extractor: Twitch's answer no longer has the shape
  // yt-dlp expects, e.g. a retired persisted query gives `KeyError('data')` (#14396, #16464,
  // #17553). `No video formats found!` and a bare Python IndexError (twitch.py's unguarded
  // `formats[-1]` on an answer without renditions) are the same break one step later.
  {
    pattern:
      /An extractor error has occurred|Unable to extract|Failed to parse JSON|No video formats found|list index out of range/i,
    code: "extractor_outdated",
    message: OUTDATED,
  },
  {
    pattern: /This clip is no longer available/i,
    code: "not_found",
    message: "Twitch has no such clip: deleted, or a wrong id",
  },
  // twitch.py prints this both when Twitch answers `video: null` and when the GQL answer has no
  // `data` at all (a retired query): the words cannot tell them apart, so the message says both.
  {
    pattern: /Video \S+ does not exist/i,
    code: "not_found",
    message:
      "Twitch returned no video for this id: deleted, expired or a wrong id. If it plays in a browser, " +
      "yt-dlp's VOD query is out of date: update yt-dlp (README, 'Updating yt-dlp')",
  },
  {
    pattern: /subscriber-only|must be logged in|only available for registered users/i,
    code: "unavailable",
    message: "The video is subscriber-only or private: the engine does not log in to Twitch, so it cannot read it",
  },
  {
    pattern: /not available from your location|geo.?restrict|geo.?block/i,
    code: "unavailable",
    message: "Twitch does not serve this video in the engine's region (geo-blocked)",
  },
  { pattern: /DRM protected/i, code: "unavailable", message: "The video is DRM protected" },
  {
    pattern: /HTTP Error (?:404|410)/,
    code: "not_found",
    message: "The clip or video does not exist (deleted, or unknown id)",
  },
  {
    pattern: /HTTP Error 403/,
    code: "unavailable",
    message: "The source refused access (HTTP 403): region-locked, subscriber-only or private",
  },
  {
    pattern: /HTTP Error 429/,
    code: "download_failed",
    message: "Twitch is rate-limiting this address (HTTP 429): retried later; lower JOB_CONCURRENCY if it persists",
  },
  {
    pattern: /HTTP Error 5\d\d/,
    code: "download_failed",
    message: "The source had a server error (HTTP 5xx): retried",
  },
  // An intercepting proxy (Cloudflare's egress with interceptHttps) whose CA the image does not trust.
  {
    pattern: /CERTIFICATE_VERIFY_FAILED/,
    code: "download_failed",
    message:
      "TLS certificate verification failed: the engine does not trust the certificate it was shown " +
      "(behind an intercepting proxy, install its CA in the image's trust store or set SSL_CERT_FILE)",
  },
  {
    pattern: /Failed to resolve|name resolution|getaddrinfo|Name or service not known|nodename nor servname/i,
    code: "download_failed",
    message: NETWORK_DOWN,
  },
  {
    pattern: /Connection refused|Network is unreachable|Connection reset|A network error has occurred/i,
    code: "download_failed",
    message: "The connection to the source failed (refused, reset or unreachable): retried",
  },
  { pattern: /timed out/i, code: "timeout", message: "The source did not answer in time (network timeout): retried" },
  {
    pattern: /Unsupported URL|No suitable extractor found/i,
    code: "not_found",
    message: "yt-dlp found no video at this address (Unsupported URL)",
  },
];

const classifyYtDlp: Classifier = (stderr) => {
  const known = SIGNATURES.find((signature) => signature.pattern.test(stderr));
  return known ? { code: known.code, message: known.message } : null;
};

let installed: Promise<string | null> | null = null;

/** The installed yt-dlp's version (`yt-dlp --version`), read once per process. */
export function ytDlpVersion(): Promise<string | null> {
  installed ??= toolVersion(YT_DLP, "--version");
  return installed;
}

/**
 * An outdated extractor's error names the version that ran (a channel build's tag, else the
 * installed one) and its age: often the whole story.
 */
async function withInstalledVersion(error: unknown, ran?: string): Promise<unknown> {
  if (!(error instanceof ClipAudioError) || error.code !== "extractor_outdated") return error;
  const installedNow = describeYtDlp(ran ?? (await ytDlpVersion()), new Date());
  return new ClipAudioError(error.code, `${error.message}. Installed: ${installedNow}`, { cause: error.cause });
}

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

/**
 * Extracts the source in a resident worker, with the selection the download will use
 * (`audioOnly`). Its failures are classified from what the yt-dlp command would print.
 */
export async function fetchSourceInfo(
  source: Source,
  limits: RunLimits,
  audioOnly = true,
  pool: ExtractorPool = extractors(),
  /** The channel build's tag when one runs (ytdlp-channel/), for the error message. */
  buildTag?: string,
): Promise<SourceInfo> {
  const args = [
    "--no-playlist",
    "--no-warnings",
    ...extractorArgs(source),
    ...(audioOnly ? AUDIO_SELECTION : VIDEO_SELECTION),
  ];
  try {
    const reply = await pool.extract(source.url, args, limits);
    if (!reply.ok) throw extractionError(reply.stderr);
    return parseInfo(source, reply.info);
  } catch (error) {
    throw await withInstalledVersion(error, buildTag);
  }
}

/** The worker's report of a failure, read as the command's stderr would be. */
function extractionError(stderr: string): ClipAudioError {
  const tail = stderrTail(stderr);
  const known = classifyYtDlp(tail);
  if (known) return new ClipAudioError(known.code, known.message);
  return new ClipAudioError("download_failed", `Reading the source with yt-dlp failed${tail ? `: ${tail}` : ""}`);
}

const NO_METADATA = "yt-dlp printed no usable metadata; update yt-dlp (README, 'Updating yt-dlp')";

function chosenFormats(info: Record<string, unknown>): ChosenFormat[] {
  const requested = Array.isArray(info.requested_formats) ? (info.requested_formats as unknown[]) : [info];
  return requested.flatMap((entry) => {
    const format = (entry ?? {}) as Record<string, unknown>;
    const url = asString(format.url);
    if (!url) return [];
    const headers = (typeof format.http_headers === "object" && format.http_headers) || {};
    return [{ url, protocol: asString(format.protocol) ?? "", headers: headers as Record<string, string> }];
  });
}

function parseInfo(source: Source, info: unknown): SourceInfo {
  if (typeof info !== "object" || info === null) throw new ClipAudioError("extractor_outdated", NO_METADATA);
  const fields = info as Record<string, unknown>;
  const duration = typeof fields.duration === "number" ? fields.duration : null;
  return {
    json: JSON.stringify(info),
    duration,
    metadata: toMetadata(source.id, source.url, fields),
    formats: chosenFormats(fields),
  };
}

/**
 * Starts the download of the chosen format to stdout. `infoPath` holds the saved metadata
 * (`saveInfo`), so yt-dlp goes straight to the media. Not async on purpose: an async function
 * would await the subprocess (a thenable) instead of handing back its streams.
 */
export function startDownload(
  infoPath: string,
  source: Source,
  audioOnly: boolean,
  limits: RunLimits,
  build: string = YT_DLP,
) {
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
  return startTool(build, args, limits, { stdout: "pipe", buffer: { stdout: false } });
}

export function saveInfo(infoPath: string, info: SourceInfo): Promise<void> {
  return writeFile(infoPath, info.json);
}

export { classifyYtDlp };
