/**
 * The media transfer without a second yt-dlp process (its start costs ~0.4-0.7 s before the
 * first byte), for what yt-dlp selected:
 * - one progressive HTTP(S) file: Node fetches it (undici from npm, see `mediaAgent`) with the
 *   headers yt-dlp chose, and ffmpeg's input ends with the last byte instead of when yt-dlp exits;
 * - one HLS stream: Node fetches a VOD's segments itself, several at once (hls/, so round trips
 *   do not add up over 1,800 segments); a playlist it does not read (encrypted, byte ranges…)
 *   goes to ffmpeg, which reads it and its segments one after another (the downloader yt-dlp
 *   itself uses for `m3u8`) and remuxes them to MPEG-TS on stdout, unchanged.
 * Failures are described in yt-dlp's words (`HTTP Error 404`, `Connection refused`...) and
 * classified by the same table, so they keep the codes the command gave them.
 */
import { Readable } from "node:stream";
import { execa } from "execa";
import { Agent, fetch, type Response } from "undici";
import { ClipAudioError } from "../../shared/errors.ts";
import { FFMPEG } from "./ffmpeg.ts";
import type { Source } from "./source.ts";
import { type Classifier, processOptions, type RunLimits } from "./subprocess.ts";
import { type ChosenFormat, classifyYtDlp, type SourceInfo } from "./ytdlp.ts";

/** The single progressive format Node can fetch itself, or null (HLS, DASH, a time range, two formats). */
export function directFormat(info: SourceInfo, source: Source): ChosenFormat | null {
  if (source.range || info.formats.length !== 1) return null;
  const [format] = info.formats as [ChosenFormat];
  return format.protocol === "http" || format.protocol === "https" ? format : null;
}

/** The single HLS stream ffmpeg can fetch itself, or null. A VOD's time range stays with yt-dlp. */
export function hlsFormat(info: SourceInfo, source: Source): ChosenFormat | null {
  if (source.range || info.formats.length !== 1) return null;
  const [format] = info.formats as [ChosenFormat];
  return format.protocol === "m3u8" || format.protocol === "m3u8_native" ? format : null;
}

/** ffmpeg's words for an HTTP failure, in yt-dlp's, then yt-dlp's table. */
export const classifyHlsFfmpeg: Classifier = (stderr) => {
  const status = /(?:Server returned|HTTP error) (\d{3})/i.exec(stderr)?.[1];
  const said = status ? `HTTP Error ${status}` : (CAUSES.find(([pattern]) => pattern.test(stderr))?.[1] ?? stderr);
  return classifyYtDlp(said);
};

/**
 * ffmpeg fetching an HLS stream with yt-dlp's headers, remuxed (not re-encoded) to MPEG-TS on
 * stdout. Only network protocols may be opened: a playlist cannot point ffmpeg at local files.
 */
export function startHls(format: ChosenFormat, limits: RunLimits) {
  const headers = Object.entries(format.headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  const args = [
    "-hide_banner",
    "-nostats",
    // Warnings carry the HTTP status of a failed playlist or segment (`HTTP error 404 …`).
    "-v",
    "warning",
    "-protocol_whitelist",
    "http,https,tls,tcp,crypto",
    ...(headers ? ["-headers", headers] : []),
    "-i",
    format.url,
    "-map",
    "0",
    "-c",
    "copy",
    "-f",
    "mpegts",
    "pipe:1",
  ];
  return execa(FFMPEG, args, { ...processOptions(limits), stdout: "pipe", buffer: { stdout: false } });
}

/** What yt-dlp would print for a network failure Node reports by its code. */
const CAUSES: readonly [RegExp, string][] = [
  [/ECONNREFUSED/, "Connection refused"],
  [/ECONNRESET|UND_ERR_SOCKET|EPIPE|terminated|other side closed/i, "Connection reset by peer"],
  [/ENOTFOUND|EAI_AGAIN/, "Failed to resolve the host (getaddrinfo failed)"],
  [/ENETUNREACH|EHOSTUNREACH/, "Network is unreachable"],
  [/ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT/, "The read operation timed out"],
  [/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/, "CERTIFICATE_VERIFY_FAILED"],
];

function causeText(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    parts.push(`${String(code ?? "")} ${String(message ?? "")}`);
    e = cause;
  }
  return parts.join(" ");
}

/** Maps a failed transfer to the engine's error: ours (cancel, timeout) first, then yt-dlp's table. */
export function transferError(error: unknown, limits: RunLimits): ClipAudioError {
  if (error instanceof ClipAudioError) return error;
  if (limits.signal?.aborted) return new ClipAudioError("cancelled", "Downloading the media was cancelled");
  const text = causeText(error);
  if (/TimeoutError|The operation was aborted due to timeout/.test(text)) {
    return new ClipAudioError(
      "timeout",
      `Downloading the media timed out after ${Math.round(limits.timeoutMs / 1000)} s`,
    );
  }
  const said = CAUSES.find(([pattern]) => pattern.test(text))?.[1] ?? text.trim().slice(0, 300);
  const known = classifyYtDlp(said);
  if (known) return new ClipAudioError(known.code, known.message, { cause: error });
  return new ClipAudioError("download_failed", `Downloading the media failed: ${said}`, { cause: error });
}

/**
 * The HTTP client of media transfers: undici from npm (>= 8.6.0), never the copy bundled in Node.
 * Node 22's (undici 6.28.1 in Node 22.23.3; the 6.x and 7.x lines alike, up to 6.29.1 and 7.30.3)
 * asserts `!paused` when a source ends a response by closing the connection (HTTP/1.0, as
 * Python's http.server answers, or `Connection: close`) while the body waits under backpressure,
 * which is the usual state here (ffmpeg reads slower than a fast link delivers): an uncaught
 * AssertionError in the socket's `end` handler that ends the engine with every job in flight
 * (nodejs/undici#5360). undici 8.6.0 completes such a response instead (nodejs/undici#5474).
 * An Agent of its own, so no other undici copy's global dispatcher (Node's bundled one included)
 * can carry these requests.
 */
export const mediaAgent = new Agent();

/** Opens the format's bytes; the stream errors on timeout or cancel (whole transfer, not per read). */
export async function fetchMedia(format: ChosenFormat, limits: RunLimits): Promise<Readable> {
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const signal = limits.signal ? AbortSignal.any([limits.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(format.url, { headers: format.headers, signal, redirect: "follow", dispatcher: mediaAgent });
  } catch (error) {
    throw transferError(error, limits);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw transferError(new Error(`HTTP Error ${response.status}: ${response.statusText}`), limits);
  }
  return Readable.fromWeb(response.body);
}
